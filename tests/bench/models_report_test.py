#!/usr/bin/python3
"""bench/models_report.py on synthetic Google Benchmark JSON (FLOP/s under 'GFLOP/s', as Google
Benchmark writes them): per model and batch, the speed of kiln packed and of kiln tuned over ONNX
Runtime, % of the FMA ceiling, the geomean per batch, compile times from a second file, and an
error row shown as an error."""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

from synthetic_results import aggregates, check  # noqa: E402

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "models_report.py")

seed = random.randrange(1 << 30)
print("seed", seed)
rng = random.Random(seed)
ceiling = rng.uniform(200, 400)
doc = {"context": {"cpu": "test", "onnxruntime": "1.30.0"},
       "benchmarks": aggregates("ceiling/fma/repeats:6/real_time", 14.0, 0.01, {"GFLOP/s": ceiling * 1e9})}
compile_doc = {"context": {}, "benchmarks": []}
want = {}
for model in ("resnet18", "mobilenet_v2", "googlenet"):
    for batch in (1, 8):
        t = {impl: rng.uniform(2, 40) for impl in ("kiln", "kiln-packed", "onnxruntime", "pytorch")}
        tuned = model != "googlenet"  # googlenet has no tuned row: packed is kiln's best
        if tuned:
            t["kiln-tuned"] = rng.uniform(2, 40)
        for impl, ms in t.items():
            timing = "manual_time" if impl in ("onnxruntime", "pytorch") else "real_time"
            doc["benchmarks"] += aggregates(f"{model}/{impl}/{batch}/min_time:0.300/repeats:6/{timing}", ms, 0.02,
                                            {"GFLOP/s": 1e12 / ms}, reps=6)
        want[(model, batch)] = (t["onnxruntime"] / t["kiln-packed"], t["onnxruntime"] / t["kiln-tuned"] if tuned else None,
                                100 * (1000.0 / t["kiln-packed"]) / ceiling)
    compile_doc["benchmarks"].append({"run_name": f"compile/{model}/kiln/iterations:1/manual_time", "run_type": "iteration",
                              "time_unit": "s", "real_time": 4.5})
doc["benchmarks"].append({"run_name": "densenet121/kiln/1/min_time:0.300/repeats:6/real_time", "run_type": "iteration",
                          "error_occurred": True, "error_message": "out of memory"})
with tempfile.TemporaryDirectory() as d:
    path, compile_path = os.path.join(d, "models.json"), os.path.join(d, "compile.json")
    for p, content in ((path, doc), (compile_path, compile_doc)):
        with open(p, "w") as f:
            json.dump(content, f)
    done = subprocess.run([sys.executable, REPORT, path, compile_path, "--out", d], capture_output=True, text=True)
    check(done.returncode == 0, f"models_report.py failed: {done.stderr}")
    with open(os.path.join(d, "models.md")) as f:
        md = f.read()
    bad = subprocess.run([sys.executable, REPORT, os.path.join(d, "missing.json"), "--out", d], capture_output=True, text=True)
    check(bad.returncode == 2 and "cannot read" in bad.stderr, f"a missing file: {bad.returncode} {bad.stderr}")

for (model, batch), (ratio, tuned_ratio, percent) in want.items():
    row = next((line for line in md.splitlines() if line.startswith(f"| {model} | {batch} |")), None)
    check(row is not None, f"no row for {model} batch {batch}\n{md}")
    cells = [c.strip() for c in row.strip("|").split("|")]
    got = float(cells[7].split("×")[0])
    check(abs(got - ratio) <= 0.006 + 0.005 * ratio, f"{model} b{batch}: kiln / ORT {cells[7]}, want {ratio:.3f}")
    if tuned_ratio is None:
        check(cells[8] == "—", f"{model} b{batch}: tuned / ORT {cells[8]} with no tuned row")
    else:
        got = float(cells[8].split("×")[0])
        check(abs(got - tuned_ratio) <= 0.006 + 0.005 * tuned_ratio, f"{model} b{batch}: tuned / ORT {cells[8]}, want {tuned_ratio:.3f}")
    check(abs(float(cells[10].rstrip(" %")) - percent) <= 0.6, f"{model} b{batch}: {cells[10]} of the ceiling, want {percent:.1f}")
for batch in (1, 8):
    g = math.exp(sum(math.log(r) for (m, b), (r, t, p) in want.items() if b == batch) / 3)
    line = next((line for line in md.splitlines() if line.startswith(f"Batch {batch}:")), "")
    check(f"**{g:.2f}×**" in line, f"batch {batch} geomean: {line!r}, want {g:.2f}")
check("resnet18 4.5 s" in md, f"no compile time\n{md}")
check("| densenet121 | 1 | error |" in md, f"the error row\n{md}")
print("ok")
