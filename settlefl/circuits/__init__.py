"""Circuit builds and provers: the circom circuits' specs, their Groth16 setup, witnesses and proofs."""
