pragma circom 2.2.3;

// The compressed public inputs (DESIGN.md, "Public-input compression"): a vector travels as calldata,
// the contract derives x = keccak(...) mod p after the vector is fixed and computes y = sum w_k x^k;
// the circuit recomputes y from its private words. One constraint per word (Horner's rule).

template Horner(L) {
    signal input coeffs[L];   // w_0 .. w_{L-1}
    signal input x;
    signal output y;          // sum_k w_k * x^k

    signal acc[L];
    acc[L - 1] <== coeffs[L - 1];
    for (var k = L - 2; k >= 0; k--) {
        acc[k] <== acc[k + 1] * x + coeffs[k];
    }
    y <== acc[0];
}
