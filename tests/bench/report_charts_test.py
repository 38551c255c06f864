#!/usr/bin/python3
"""bench/report.py's pictures on synthetic Google Benchmark JSON: the measured memory bandwidth is
read from the triad row (bytes_per_second), the FMA ceiling from its own row whatever the order, and
both PNGs are written; charts.py's roofline places a fused row at the intensity its FLOPs and
MiB_moved give."""
import json
import os
import random
import subprocess
import sys
import tempfile

from synthetic_results import aggregates, check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "bench")


seed = random.randrange(1 << 30)
print("seed", seed)
rng = random.Random(seed)
gbps, ceiling = rng.uniform(5, 200), rng.uniform(100, 3000)
fused_ms = rng.uniform(1, 10)
flops = 2e9 * fused_ms / 1e3 * rng.uniform(50, 500)  # per call
mib = rng.uniform(1, 100)
doc = {"context": {"cpu": "test CPU", "threads": "2", "date": "today"}, "benchmarks":
       aggregates("ceiling/memory/repeats:5/real_time", 30.0, extra={"bytes_per_second": gbps * 1e9})  # before the FMA row
       + aggregates("ceiling/fma/repeats:9/real_time", 1.0, extra={"GFLOP/s": ceiling * 1e9})
       + aggregates("W9/fused/4/repeats:9/real_time", fused_ms,
                    extra={"GFLOP/s": flops / (fused_ms / 1e3), "useful_GFLOP/s": flops / (fused_ms / 1e3), "MiB_moved": mib})
       + aggregates("W9/unfused/4/repeats:9/real_time", fused_ms * 1.3,
                    extra={"GFLOP/s": flops / (fused_ms * 1.3 / 1e3), "MiB_moved": mib * 3})
       + aggregates("W9/onednn/4/repeats:9/real_time", fused_ms * 1.1)
       + aggregates("Tiny-train/kiln/64/repeats:9/real_time", 40.0, extra={"images/s": 1600.0, "GFLOP/s": 8e9})
       + aggregates("Tiny-train/kiln-fused/64/repeats:9/real_time", 32.0, extra={"images/s": 2000.0})
       + aggregates("Tiny-train/kiln-autodiff/64/repeats:5/real_time", 160.0, extra={"images/s": 400.0})
       + aggregates("Tiny-train/pytorch/64/repeats:9/real_time", 50.0, extra={"images/s": 1280.0})}
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "results.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    done = subprocess.run([sys.executable, os.path.join(BENCH, "report.py"), path, "--out", d], capture_output=True, text=True)
    check(done.returncode == 0, f"report.py failed: {done.stderr}")
    with open(os.path.join(d, "report.json")) as f:
        report = json.load(f)
    check(abs(report["memory_gbps"] - gbps) < 1e-6 * gbps, f"bandwidth {report['memory_gbps']} != {gbps}")
    check(abs(report["ceiling_gflops"] - ceiling) < 1e-6 * ceiling, f"ceiling {report['ceiling_gflops']} != {ceiling}")
    # Training rows get their own section: kiln/PyTorch = 50 ms / 40 ms, fused/unfused = 40 ms / 32 ms,
    # kiln/autodiff = 160 ms / 40 ms, and stay out of the inference table.
    with open(os.path.join(d, "report.md")) as f:
        md = f.read()
    check("| Tiny | 64 | 40.0 | 1600 | 32.0 | 160 | 50.0 | 1280 | 1.25× | 1.25× | 4.00× |" in md, f"training row missing or wrong:\n{md}")
    check("| Tiny-train |" not in md, "a training row in the inference table")
    for png in ("report-speedup.png", "report-roofline.png"):
        p = os.path.join(d, png)
        check(os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"{png} missing or not a PNG: {done.stderr}")

    # The roofline's point for the fused row: FLOPs per call over bytes per call.
    sys.path.insert(0, BENCH)
    import charts  # noqa: E402
    placed = []
    charts.plt.Axes.scatter_orig = charts.plt.Axes.scatter

    def record(self, xs, ys, **kw):
        placed.append((kw.get("label"), list(xs), list(ys)))
        return charts.plt.Axes.scatter_orig(self, xs, ys, **kw)

    charts.plt.Axes.scatter = record
    groups = {("W9", 4): {r["impl"]: r for r in report["rows"] if r["workload"] == "W9"}}
    charts.roofline_chart({}, groups, ceiling, gbps, os.path.join(d, "r.png"))
    fused = next(p for p in placed if p[0] == "kiln fused")
    want = flops / (mib * 2 ** 20)
    check(abs(fused[1][0] - want) < 1e-6 * want, f"fused intensity {fused[1][0]} != {want}")
    check(abs(fused[2][0] - flops / (fused_ms / 1e3) / 1e9) < 1e-6 * fused[2][0], f"fused GFLOP/s {fused[2][0]}")
print("ok")
