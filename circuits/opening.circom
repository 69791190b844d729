pragma circom 2.2.3;

// Opening(N): C opens, with this salt, to the N words bound by (x, y).
//
// Used for the genesis at job creation (round 0, salt 0, the initial addresses as calldata) and for
// answers to opening requests (which reveal that round's salt and words on chain).
//
// Public: C, domain, r, n, total, maxUnits, salt, x, y    (declaration order = public order)
// Private: the N words (all slots; zero past n)
//
// The words are fixed (committed in C) before the contract derives x from the calldata, so a vector
// other than the committed one matches y only with probability below N/p.

include "lib/hashing.circom";
include "lib/positions.circom";
include "lib/evaluation.circom";

template Opening(N) {
    signal input C;
    signal input domain;
    signal input r;
    signal input n;
    signal input total;
    signal input maxUnits;
    signal input salt;
    signal input x;
    signal input y;

    signal input words[N];

    // Phase 1: n in [0, N] and every word past n is zero.
    component pos = PastFlags(N);
    pos.n <== n;
    ZeroPast(N)(words, pos.past);

    // Phase 2: the header opens C.
    signal hW <== WordsHash(N)(words);
    signal opened <== Header()(domain, r, n, total, maxUnits, hW, salt);
    C === opened;

    // Phase 3: the words are the calldata vector bound by (x, y).
    signal evaluated <== Horner(N)(words, x);
    y === evaluated;
}
