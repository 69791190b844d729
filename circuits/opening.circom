pragma circom 2.2.3;

// Opening(N): C opens, with its header and salt, to the N words, and (x, y) bind the whole vector
// V = [domain, r, n, total, maxUnits, salt, words[0..N-1]] the contract hashed into x.
//
// Used for the genesis at job creation (round 0, salt 0, the initial addresses as calldata) and for
// answers to opening requests (which reveal that round's salt and words on chain).
//
// Public: C, x, y    (declaration order = public order)
// Private: the header (domain, r, n, total, maxUnits, salt) and the N words (all slots; zero past n)
//
// C is public and fixed before the contract derives x from the calldata (C, header, words), and a
// witness must open C, so its vector V' is fixed before x; a V' other than the contract's V matches y
// only with probability below (N + 6)/p (docs/circuits.md, "Fewer public inputs"). The header fields
// need no range checks here: they equal the contract's values, each below p, by that argument.

include "lib/hashing.circom";
include "lib/positions.circom";
include "lib/evaluation.circom";

template Opening(N) {
    signal input C;
    signal input x;
    signal input y;

    signal input domain;           // the header of C, bound to the contract's by (x, y)
    signal input r;
    signal input n;
    signal input total;
    signal input maxUnits;
    signal input salt;
    signal input words[N];

    // Phase 1: n in [0, N] and every word past n is zero.
    component pos = PastFlags(N);
    pos.n <== n;
    ZeroPast(N)(words, pos.past);

    // Phase 2: the header opens C.
    signal hW <== WordsHash(N)(words);
    signal opened <== Header()(domain, r, n, total, maxUnits, hW, salt);
    C === opened;

    // Phase 3: V = header, then words, is the calldata vector bound by (x, y). The contract sends only
    // the n used words; the words past n are zero, so they do not change y. (Copying into `vector`
    // is linear: --O2 folds it away.)
    signal vector[6 + N];
    vector[0] <== domain;
    vector[1] <== r;
    vector[2] <== n;
    vector[3] <== total;
    vector[4] <== maxUnits;
    vector[5] <== salt;
    for (var i = 0; i < N; i++) {
        vector[6 + i] <== words[i];
    }
    signal evaluated <== Horner(6 + N)(vector, x);
    y === evaluated;
}
