pragma circom 2.2.3;
// Test harness: JoinChecks with its hint `bp` exposed as an input, so a test can play a prover who
// sets the hint to anything (a witness the honest generator would never produce).
include "lib/joins.circom";
component main = JoinChecks(32, 4);
