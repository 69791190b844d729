// Batch witness calculation for the Python provers and the circuit tests: one node process computes
// many witnesses. Reads a JSON array [{wasm, input, out}] on stdin (input values as decimal strings);
// writes a JSON array [{ok: true} | {ok: false, error}] on stdout. A failed `===` surfaces as circom's
// "Assert Failed ... Error in template <T> line: <n>" message, which the caller maps to a rule.
// circom_runtime (snarkjs' witness engine) is found through NODE_PATH (the repository's node_modules),
// set by the Python caller. Each wasm is instantiated once per process, then reused for every job.
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
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().then(() => process.exit(0)).catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
