pragma circom 2.2.3;

// Receipt: C opens to round r of this domain and carries a valid signature by the key whose
// Poseidon(Ax, Ay) = pubHash (the hash the job stores on chain). Used to prove equivocation: a
// receipt whose C differs from the chain's C_r.
//
// Public: C, domain, r, pubHash, sender.   Private: the rest of the header, the key, the signature.

include "circomlib/circuits/poseidon.circom";
include "lib/hashing.circom";
include "lib/signature.circom";

template Receipt() {
    signal input C;
    signal input domain;
    signal input r;
    signal input pubHash;
    signal input sender;

    signal input n;            // the rest of the header of C
    signal input total;
    signal input maxUnits;
    signal input wordsHash;
    signal input salt;
    signal input Ax;           // the aggregator's key
    signal input Ay;
    signal input R8x;          // the signature on C
    signal input R8y;
    signal input S;

    // Phase 1: C is a round-r commitment of this job.
    signal opened <== Header()(domain, r, n, total, maxUnits, wordsHash, salt);
    C === opened;

    // Phase 2: the key is the job's, and it signed C.
    signal keyHash <== Poseidon(2)([Ax, Ay]);
    pubHash === keyHash;
    StrictEdDSAPoseidon()(Ax, Ay, R8x, R8y, S, C);

    signal senderSquared <== sender * sender;
}
