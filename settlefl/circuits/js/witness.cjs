// Batch witness calculation for the Python provers and the circuit tests: one node process computes
// many witnesses. Reads a JSON array [{wasm, input, out}] on stdin (input values as decimal strings);
// writes a JSON array [{ok: true} | {ok: false, error}] on stdout. A failed `===` surfaces as circom's
// "Assert Failed ... Error in template <T> line: <n>" message, which the caller maps to a rule.
// circom_runtime (snarkjs' witness engine) is found through NODE_PATH (the repository's node_modules),
// set by the Python caller. Each wasm is instantiated once per process and reused for every job until a
// job fails (then instantiated afresh, see below).
"use strict";
const fs = require("fs");
const { WitnessCalculatorBuilder } = require("circom_runtime");

async function main() {
  const jobs = JSON.parse(fs.readFileSync(0, "utf8"));
  const calculators = new Map();
  const results = [];
  for (const job of jobs) {
    try {
      if (!calculators.has(job.wasm)) {
        calculators.set(job.wasm, await WitnessCalculatorBuilder(fs.readFileSync(job.wasm)));
      }
      const wtns = await calculators.get(job.wasm).calculateWTNSBin(job.input, true);
      fs.writeFileSync(job.out, wtns);
      results.push({ ok: true });
    } catch (err) {
      results.push({ ok: false, error: String(err && err.message ? err.message : err) });
      // circom_runtime appends each failure's trace to a buffer it never clears, so the next refusal by
      // this instance would carry this one's templates first (and be misread as this rule). A fresh
      // instance after every failure keeps each message to its own witness.
      calculators.delete(job.wasm);
    }
  }
  return JSON.stringify(results);
}

// Exit only once stdout has taken the whole answer: to a pipe, node writes asynchronously, and an exit
// right after write() cut a batch's answer at the pipe's 64 KiB (many refusals with long messages).
main().then((answer) => process.stdout.write(answer, () => process.exit(0))).catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err), () => process.exit(1));
});
