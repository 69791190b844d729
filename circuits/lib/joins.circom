pragma circom 2.2.3;

// Join checks for the Transition circuit (DESIGN.md, "Circuits": at most J joins, each a non-zero
// address below 2^160 in a previously empty slot).
//
// Joins land in slots [nPrev, nPrev + d) with d <= J <= 16, so inside the 32-slot window made of
// block bp = floor(nPrev / 16) and the block after it. Only that window is selected (2 * 16 products
// per block), then the J candidate addresses are picked by their offset inside it, and only those J
// values are range-checked: 160 constraints per possible join instead of per slot.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "positions.circom";
include "range.circom";

template JoinChecks(N, J) {
    signal input addr[N];   // per-slot address added this round (zero outside [nPrev, nPrev + d))
    signal input nPrev;     // used slots before the round (0 <= nPrev <= N, checked by the caller)
    signal input count;     // d = nNew - nPrev, checked by the caller to lie in [0, J]
    signal input bp;        // hint from the caller: floor(nPrev / 16); any other value is refused here

    var NB = N \ 16;

    // Phase 1: the block of nPrev: bp in [0, NB] and off = nPrev - 16 bp in [0, 16) pin it down.
    signal blockFlag[NB + 1] <== OneHot(NB + 1)(bp);
    signal off <== nPrev - 16 * bp;
    signal offFlag[16] <== OneHot(16)(off);   // off in [0, 16)

    // Phase 2: the 32-slot window starting at slot 16 bp (slots past N read as zero).
    signal terms[32][NB + 1];
    signal window[32];
    for (var t = 0; t < 32; t++) {
        var acc = 0;
        for (var b = 0; b <= NB; b++) {
            var slot = 16 * b + t;
            terms[t][b] <== blockFlag[b] * (slot < N ? addr[slot] : 0);
            acc += terms[t][b];
        }
        window[t] <== acc;
    }

    // Phase 3: the J candidates, candidate[j] = window[off + j] = addr[nPrev + j].
    signal pick[J][16];
    signal candidate[J];
    for (var j = 0; j < J; j++) {
        var acc = 0;
        for (var t = 0; t < 16; t++) {
            pick[j][t] <== offFlag[t] * window[t + j];
            acc += pick[j][t];
        }
        candidate[j] <== acc;
    }

    // Phase 4: each candidate is below 2^160, and non-zero when it really joins (j < d).
    signal joins[J];
    signal isZero[J];
    for (var j = 0; j < J; j++) {
        RangeCheck(160)(candidate[j]);
        joins[j] <== LessThan(5)([j, count]);
        isZero[j] <== IsZero()(candidate[j]);
        joins[j] * isZero[j] === 0;
    }
}
