pragma circom 2.2.3;

// Payout(N, B): C opens to a state whose batch `batch` (slots batch*B .. batch*B + B - 1) holds exactly
// the B words, and (x, y) bind the vector V = [domain, r, n, total, batch, words(B)] the contract hashed
// into x. Only the batch's blocks and the short chain are hashed; the other block hashes are private
// inputs, and the chain binds them to C.
//
// Public: C, x, y    (declaration order = public order)
// Private: the header (domain, r, n, total, batch), maxUnits, salt, the batch words, the block hashes.
//
// batch*B < n (no empty batches: THREATS.md, "Empty batches"), n <= N, words past n are zero, and
// batches past ceil(N / B) do not exist.
//
// C fixes the whole state before x; `batch` is the only header field C does not bind, and it has
// ceil(N / B) possible values, so a prover has at most that many vectors V' to choose from, all fixed
// before x. One of them equals the contract's V or y matches only with probability below
// ceil(N / B) * (B + 5)/p (docs/circuits.md, "Fewer public inputs").

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "lib/hashing.circom";
include "lib/range.circom";
include "lib/positions.circom";
include "lib/evaluation.circom";

template Payout(N, B) {
    signal input C;
    signal input x;
    signal input y;

    signal input domain;            // the header, bound to the contract's by (x, y)
    signal input r;
    signal input n;
    signal input total;
    signal input batch;
    signal input maxUnits;          // the rest of the header of C
    signal input salt;
    signal input words[B];          // the batch's words (zero past n, and past N)
    signal input blockHashes[N \ 16];   // all block hashes; those of this batch are recomputed

    assert(B % 16 == 0 && N % 16 == 0 && B <= N);
    var NB = N \ 16;
    var BB = B \ 16;
    var BATCHES = (N + B - 1) \ B;
    var NBITS = 0;
    while ((1 << NBITS) <= N) { NBITS++; }

    // Phase 1: batch in [0, BATCHES), n <= N, and m = n - batch*B >= 1 (the batch is not empty).
    signal batchFlag[BATCHES] <== OneHot(BATCHES)(batch);
    RangeCheck(NBITS)(N - n);
    signal m <== n - B * batch;
    RangeCheck(NBITS)(m - 1);

    // Phase 2: words at batch offsets k >= m are zero (past[k] = sum_{1 <= j <= k} (m == j)).
    signal atM[B];
    var prefix = 0;
    for (var k = 1; k < B; k++) {
        atM[k] <== IsEqual()([m, k]);
        prefix += atM[k];
        words[k] * prefix === 0;
    }

    // Phase 3: recompute this batch's block hashes and splice them into the chain.
    signal batchBlocks[BB] <== BlockHashes(B)(words);
    signal chained[NB];
    for (var q = 0; q < NB; q++) {
        // block q belongs to batch q \ BB at position q % BB
        chained[q] <== blockHashes[q] + batchFlag[q \ BB] * (batchBlocks[q % BB] - blockHashes[q]);
    }
    signal hW <== ChainHash(NB)(chained);
    signal opened <== Header()(domain, r, n, total, maxUnits, hW, salt);
    C === opened;

    // Phase 4: V = header, then the batch's words, is the calldata vector bound by (x, y). (Copying
    // into `vector` is linear: --O2 folds it away.)
    signal vector[5 + B];
    vector[0] <== domain;
    vector[1] <== r;
    vector[2] <== n;
    vector[3] <== total;
    vector[4] <== batch;
    for (var k = 0; k < B; k++) {
        vector[5 + k] <== words[k];
    }
    signal evaluated <== Horner(5 + B)(vector, x);
    y === evaluated;
}
