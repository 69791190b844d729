// Reference computations from circomlibjs, for tests that compare Python with the JavaScript library
// every circom project uses. Reads a JSON array of requests on stdin, writes a JSON array of answers.
//   {op: "poseidon", inputs: ["1", "2"]}                     -> "<hash>"
//   {op: "sign", prv: "<hex 32 bytes>", msg: "<field>"}      -> {A: [x, y], R8: [x, y], S}
//   {op: "verify", msg, A: [x, y], R8: [x, y], S}            -> true | false
//   {op: "commitment", header: [domain, r, n, total, maxUnits, salt], words: [...]} -> {hW, C}
// The commitment op is a second, independent implementation of hW and C_r (docs/protocol.md,
// "Reward state and commitment").
"use strict";
const path = require("path");
const { buildPoseidon, buildEddsa } = require(path.join(__dirname, "..", "..", "node_modules", "circomlibjs"));

async function main() {
  const requests = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const poseidon = await buildPoseidon();
  const eddsa = await buildEddsa();
  const F = eddsa.F;
  const point = (p) => [F.e(BigInt(p[0])), F.e(BigInt(p[1]))];
  const out = requests.map((req) => {
    switch (req.op) {
      case "poseidon":
        return poseidon.F.toObject(poseidon(req.inputs.map(BigInt))).toString();
      case "sign": {
        const prv = Buffer.from(req.prv, "hex");
        const sig = eddsa.signPoseidon(prv, F.e(BigInt(req.msg)));
        const A = eddsa.prv2pub(prv);
        return {
          A: A.map((c) => F.toObject(c).toString()),
          R8: sig.R8.map((c) => F.toObject(c).toString()),
          S: sig.S.toString(),
        };
      }
      case "verify":
        return eddsa.verifyPoseidon(F.e(BigInt(req.msg)), { R8: point(req.R8), S: BigInt(req.S) }, point(req.A));
      case "commitment": {
        const H = (xs) => poseidon.F.toObject(poseidon(xs.map(BigInt)));
        const blocks = [];
        for (let i = 0; i < req.words.length; i += 16) blocks.push(H(req.words.slice(i, i + 16)));
        let hW = 0n;
        for (let i = 0; i < blocks.length; i += 15) {
          const chunk = blocks.slice(i, i + 15);
          while (chunk.length < 15) chunk.push(0n);
          hW = H([hW, ...chunk]);
        }
        const [domain, r, n, total, maxUnits, salt] = req.header;
        return { hW: hW.toString(), C: H([domain, r, n, total, maxUnits, hW, salt]).toString() };
      }
      default:
        throw new Error(`unknown op ${req.op}`);
    }
  });
  process.stdout.write(JSON.stringify(out));
}
main().catch((e) => { console.error(e); process.exit(1); });
