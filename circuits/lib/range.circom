pragma circom 2.2.3;

// Range checks by bit decomposition. Never compare with circomlib's LessThan(n) on a value that was
// not first shown to be below 2^n: it silently assumes so (THREATS.md, "Unchecked inputs").

include "circomlib/circuits/bitify.circom";

// 0 <= in < 2^BITS.
template RangeCheck(BITS) {
    signal input in;

    component bits = Num2Bits(BITS);
    bits.in <== in;
}
