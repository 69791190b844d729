pragma circom 2.2.3;

// The compressed public inputs (docs/circuits.md, "Fewer public inputs"): a vector V (the header
// fields the verifier no longer sees, then the words) travels as calldata, the contract derives
// x = keccak(...) mod p after V is fixed and computes y = sum V_k x^k; the circuit recomputes y from
// its private V. One constraint per coefficient (Horner's rule).

template Horner(L) {
    signal input coeffs[L];   // V_0 .. V_{L-1}
    signal input x;
    signal output y;          // sum_k V_k * x^k

    signal acc[L];
    acc[L - 1] <== coeffs[L - 1];
    for (var k = L - 2; k >= 0; k--) {
        acc[k] <== acc[k + 1] * x + coeffs[k];
    }
    y <== acc[0];
}
