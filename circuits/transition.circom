pragma circom 2.2.3;

// Transition(N, K, J): the state committed in C_new follows from the one in C_prev by one round.
//
// Public: C_prev, C_new, rs    (declaration order = public order)
// Private: r and sender (packed into rs), the job constants, the previous state, the round's rows and
// joins, the new salt.
//
// Never compressed: the two states are chosen by the prover, so they are not fixed before any x a
// contract could derive (THREATS.md, "Compressed inputs where the witness is free"). rs packs two
// public values into one field element, rs = sender + 2^160 * r with sender < 2^160 and r < 2^32, so
// rs < 2^192 < p and the decomposition is unique: packing, not compression, nothing is evaluated at a
// random point. `sender` binds the proof to its submitter, so a copied response earns nothing.
//
// Proves (DESIGN.md, "Circuits"):
//   - rs decomposes into this round r and this sender;
//   - both commitments open to rounds r-1 and r of the same domain and maxUnits (both inherited from
//     the genesis, so they are private here);
//   - every used slot gains v_i < 2^K units; addresses before nPrev never change;
//   - 0 <= nNew - nPrev <= J joins, each a non-zero address below 2^160 in a previously empty slot;
//   - v_i = 0 and all words zero past nNew;
//   - totalNew = totalPrev + sum v_i, both below 2^93, totalNew <= maxUnits;
//   - r = 1 implies totalPrev = 0.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "lib/hashing.circom";
include "lib/range.circom";
include "lib/positions.circom";
include "lib/joins.circom";

template Transition(N, K, J) {
    signal input C_prev;
    signal input C_new;
    signal input rs;              // sender + 2^160 * r

    signal input r;               // the round of C_new
    signal input sender;          // the submitter, as the contract's uint160(msg.sender)
    signal input domain;          // job constants, opened by both commitments
    signal input maxUnits;
    signal input wordsPrev[N];    // the previous state
    signal input nPrev;
    signal input totalPrev;
    signal input saltPrev;
    signal input v[N];            // this round's units per slot
    signal input addr[N];         // addresses joining this round, at their slots
    signal input nNew;
    signal input saltNew;

    assert(J <= 16);
    var UNIT = 1 << 160;

    // Phase 1: rs = sender + 2^160 * r with sender < 2^160 and r < 2^32: the only decomposition.
    RangeCheck(160)(sender);
    RangeCheck(32)(r);
    rs === sender + UNIT * r;

    // Phase 2: positions. nPrev, nNew in [0, N]; 0 <= nNew - nPrev <= J.
    component prevPos = PastFlags(N);
    prevPos.n <== nPrev;
    component newPos = PastFlags(N);
    newPos.n <== nNew;
    signal count <== nNew - nPrev;
    RangeCheck(5)(count);
    RangeCheck(5)(J - count);

    // Phase 3: the previous state is zero past nPrev; rows are K-bit and zero past nNew.
    ZeroPast(N)(wordsPrev, prevPos.past);
    ZeroPast(N)(v, newPos.past);
    for (var i = 0; i < N; i++) {
        RangeCheck(K)(v[i]);
    }

    // Phase 4: joins only in [nPrev, nNew) (there the previous words are zero), each well-formed.
    for (var i = 0; i < N; i++) {
        // inJoin_i = past_prev_i - past_new_i is 1 exactly on [nPrev, nNew).
        addr[i] * (1 - prevPos.past[i] + newPos.past[i]) === 0;
    }
    signal blockOfN;
    blockOfN <-- nPrev \ 16;   // a hint: JoinChecks constrains it to floor(nPrev / 16)
    JoinChecks(N, J)(addr, nPrev, count, blockOfN);

    // Phase 5: the new words, linear in the old ones: w'_i = w_i + P_i(joins) + 2^160 v_i.
    signal wordsNew[N];
    var rowSum = 0;
    for (var i = 0; i < N; i++) {
        wordsNew[i] <== wordsPrev[i] + addr[i] + UNIT * v[i];
        rowSum += v[i];
    }

    // Phase 6: totals. Both below 2^93, the new one within maxUnits.
    signal totalNew <== totalPrev + rowSum;
    RangeCheck(93)(totalPrev);
    RangeCheck(93)(totalNew);
    RangeCheck(93)(maxUnits - totalNew);
    signal firstRound <== IsEqual()([r, 1]);
    firstRound * totalPrev === 0;

    // Phase 7: both headers open their commitments.
    signal hPrev <== WordsHash(N)(wordsPrev);
    signal hNew <== WordsHash(N)(wordsNew);
    signal openedPrev <== Header()(domain, r - 1, nPrev, totalPrev, maxUnits, hPrev, saltPrev);
    signal openedNew <== Header()(domain, r, nNew, totalNew, maxUnits, hNew, saltNew);
    C_prev === openedPrev;
    C_new === openedNew;
}
