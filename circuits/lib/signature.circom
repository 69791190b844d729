pragma circom 2.2.3;

// circomlib's EdDSA-Poseidon verifier, made strict (THREATS.md, "EdDSA switched off"):
//   - `enabled` is wired to the constant 1, never a witness;
//   - A and R8 are checked to lie on Baby Jubjub (circomlib checks neither).
// circomlib itself checks S < l (Num2Bits(253) + CompConstant) and that A is not of small order.

include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/eddsaposeidon.circom";

template StrictEdDSAPoseidon() {
    signal input Ax;
    signal input Ay;
    signal input R8x;
    signal input R8y;
    signal input S;
    signal input M;

    BabyCheck()(Ax, Ay);
    BabyCheck()(R8x, R8y);

    component verifier = EdDSAPoseidonVerifier();
    verifier.enabled <== 1;
    verifier.Ax <== Ax;
    verifier.Ay <== Ay;
    verifier.R8x <== R8x;
    verifier.R8y <== R8y;
    verifier.S <== S;
    verifier.M <== M;
}
