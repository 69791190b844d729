pragma circom 2.2.3;

// Slot-position gadgets. A position held in a signal (n, the batch, the block of n) is turned into
// one-hot and prefix flags once, so every per-slot rule costs one constraint.

include "circomlib/circuits/comparators.circom";

// flag[i] = (value == i) for i in 0..M-1, and value is forced into that range (exactly one flag).
template OneHot(M) {
    signal input value;
    signal output flag[M];

    var count = 0;
    for (var i = 0; i < M; i++) {
        flag[i] <== IsEqual()([value, i]);
        count += flag[i];
    }
    count === 1;
}

// past[i] = (i >= n) for the N slots, with 0 <= n <= N enforced.
// Also returns the one-hot of n (N + 1 entries) for callers that select by n.
template PastFlags(N) {
    signal input n;
    signal output past[N];
    signal output at[N + 1];

    at <== OneHot(N + 1)(n);
    var prefix = 0;
    for (var i = 0; i < N; i++) {
        prefix += at[i];
        past[i] <== prefix;   // linear: sum of the one-hot up to i
    }
}

// Every word at a position i >= n is zero.
template ZeroPast(N) {
    signal input words[N];
    signal input past[N];

    for (var i = 0; i < N; i++) {
        words[i] * past[i] === 0;
    }
}
