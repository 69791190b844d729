pragma circom 2.2.3;

// Receipt: C opens to round r of this domain and carries a valid signature by the key whose
// Poseidon(Ax, Ay) = pubHash (the hash the job stores on chain). Used to prove equivocation: a
// receipt whose C differs from the chain's C_r.
//
// Public: C, domain, pubHash, rs    (declaration order = public order)
// Private: r and sender (packed into rs), the rest of the header, the key, the signature.
//
// rs = sender + 2^160 * r with sender < 2^160 and r < 2^32 (so rs < 2^192 < p and the decomposition
// is unique): two public values in one field element, packing, not compression. `sender` binds the
// proof to its submitter, so a copied proof of equivocation earns nothing.

include "circomlib/circuits/poseidon.circom";
include "lib/hashing.circom";
include "lib/range.circom";
include "lib/signature.circom";

template Receipt() {
    signal input C;
    signal input domain;
    signal input pubHash;
    signal input rs;           // sender + 2^160 * r

    signal input r;            // the round of C
    signal input sender;       // the submitter, as the contract's uint160(msg.sender)
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

    // Phase 1: rs = sender + 2^160 * r with sender < 2^160 and r < 2^32: the only decomposition.
    RangeCheck(160)(sender);
    RangeCheck(32)(r);
    rs === sender + (1 << 160) * r;

    // Phase 2: C is a round-r commitment of this job.
    signal opened <== Header()(domain, r, n, total, maxUnits, wordsHash, salt);
    C === opened;

    // Phase 3: the key is the job's, and it signed C.
    signal keyHash <== Poseidon(2)([Ax, Ay]);
    pubHash === keyHash;
    StrictEdDSAPoseidon()(Ax, Ay, R8x, R8y, S, C);
}
