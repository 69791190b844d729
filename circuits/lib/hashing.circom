pragma circom 2.2.3;

// Hashing shared by every SettleFL circuit (DESIGN.md, "Reward state and commitment").
//
//   block hash  b_j = Poseidon(words[16j .. 16j+15])
//   chain       h_0 = 0, h_k = Poseidon(h_{k-1}, next 15 block hashes, zero-padded)
//   hW          = the last h
//   C_r         = Poseidon(domain, r, n, total, maxUnits, hW, salt_r)
//
// Every word feeds exactly one block and every block exactly one chain step, so each position is
// bound (THREATS.md, "Unbound positions").

include "circomlib/circuits/poseidon.circom";

// Folds NB block hashes into hW with uniform chunks of 15.
template ChainHash(NB) {
    signal input blocks[NB];   // block hashes in slot order
    signal output out;         // hW

    var STEPS = (NB + 14) \ 15;
    component step[STEPS];
    for (var s = 0; s < STEPS; s++) {
        step[s] = Poseidon(16);
        if (s == 0) {
            step[s].inputs[0] <== 0;
        } else {
            step[s].inputs[0] <== step[s - 1].out;
        }
        for (var j = 0; j < 15; j++) {
            var idx = 15 * s + j;
            if (idx < NB) {
                step[s].inputs[1 + j] <== blocks[idx];
            } else {
                step[s].inputs[1 + j] <== 0;   // zero padding of the last chunk
            }
        }
    }
    out <== step[STEPS - 1].out;
}

// Poseidon(16) of each block of 16 words.
template BlockHashes(N) {
    signal input words[N];
    signal output out[N \ 16];

    assert(N % 16 == 0);
    component block[N \ 16];
    for (var b = 0; b < N \ 16; b++) {
        block[b] = Poseidon(16);
        for (var j = 0; j < 16; j++) {
            block[b].inputs[j] <== words[16 * b + j];
        }
        out[b] <== block[b].out;
    }
}

// hW of all N words.
template WordsHash(N) {
    signal input words[N];
    signal output out;

    signal blocks[N \ 16] <== BlockHashes(N)(words);
    out <== ChainHash(N \ 16)(blocks);
}

// C_r = Poseidon(domain, r, n, total, maxUnits, hW, salt).
template Header() {
    signal input domain;
    signal input round;
    signal input n;
    signal input total;
    signal input maxUnits;
    signal input wordsHash;
    signal input salt;
    signal output out;

    out <== Poseidon(7)([domain, round, n, total, maxUnits, wordsHash, salt]);
}
