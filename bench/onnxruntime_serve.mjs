// ONNX Runtime as a peer inside the model benchmark's Google Benchmark run (bench/models_bench.cpp
// starts it as a child process, as it starts PyTorch's): a session per model, CPU execution
// provider, every graph optimization, one intra-op thread per core, timed one run() per request.
//
//   node bench/onnxruntime_serve.mjs MODULE_DIR     (MODULE_DIR: where onnxruntime-node is installed)
//   server starts               -> "ready <onnxruntime version> <threads>"  or  "error <why>"
//   "prepare MODEL.onnx 8"      -> "ok" (session made, input made, 3 warm-up runs) or "error <why>"
//   "profile MODEL.onnx 1 OUT"  -> "ok": a session with ONNX Runtime's profiler, 20 runs, its JSON written as OUT_<date>.json
//   "run"                       -> seconds taken by one run of the prepared model
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import readline from "node:readline";

const say = (line) => process.stdout.write(line + "\n");
const moduleDir = process.argv[2];
let ort;
try {
  ort = createRequire(path.join(path.resolve(moduleDir), "index.js"))("onnxruntime-node");
} catch (e) {
  say(`error cannot load onnxruntime-node from ${moduleDir}: ${String(e.message).split("\n")[0]}`);
  process.exit(0);
}
const threads = Number(process.env.KILN_BENCH_THREADS || availableParallelism());
const options = (extra) => ({
  executionProviders: ["cpu"],
  graphOptimizationLevel: "all",
  executionMode: "sequential",
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  ...extra,
});

async function prepare(model, batch, extra) {
  const session = await ort.InferenceSession.create(model, options(extra));
  const name = session.inputNames[0];
  const values = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < values.length; ++i) values[i] = Math.random();
  const feeds = { [name]: new ort.Tensor("float32", values, [batch, 3, 224, 224]) };
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  return { session, feeds };
}

let prepared = null;
say(`ready ${ort.env.versions?.common ?? "unknown"} ${threads}`);
for await (const line of readline.createInterface({ input: process.stdin })) {
  const words = line.trim().split(/\s+/);
  try {
    if (words[0] === "prepare" && words.length === 3 && Number(words[2]) >= 1) {
      if (prepared) await prepared.session.release();
      prepared = await prepare(words[1], Number(words[2]), {});
      say("ok");
    } else if (words[0] === "profile" && words.length === 4 && Number(words[2]) >= 1) {
      const p = await prepare(words[1], Number(words[2]), { enableProfiling: true, profileFilePrefix: words[3] });
      for (let i = 0; i < 20; ++i) await p.session.run(p.feeds);
      p.session.endProfiling();
      await p.session.release();
      say("ok");
    } else if (words[0] === "run" && words.length === 1 && prepared) {
      const start = process.hrtime.bigint();
      await prepared.session.run(prepared.feeds);
      say(`${Number(process.hrtime.bigint() - start) * 1e-9}`);
    } else {
      say(`error unknown request '${line.trim()}'`);
    }
  } catch (e) {
    say(`error ${String(e.message).split("\n")[0]}`);
  }
}
