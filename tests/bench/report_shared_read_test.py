#!/usr/bin/python3
"""bench/report.py's table of the inception modules' 1x1 convs (bench/inception_reduce_rows.hpp) on
synthetic Google Benchmark JSON: each module's speedup of merged over separate, the total of the
faster of each pair, and none of these rows among the inference workloads."""
import json
import os
import random
import subprocess
import sys
import tempfile

from synthetic_results import aggregates, check  # noqa: E402

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "report.py")

seed = random.randrange(1 << 30)
print("seed", seed)
rng = random.Random(seed)
times = {m: (rng.uniform(0.1, 0.4), rng.uniform(0.1, 0.4)) for m in ("3a", "4e", "5b")}
doc = {"context": {"cpu": "test"}, "benchmarks": aggregates("ceiling/fma/repeats:9/real_time", 1.0, 0.01)}
for m, (separate, merged) in times.items():
    doc["benchmarks"] += aggregates(f"Inception{m}-1x1/separate/1/repeats:9/real_time", separate, 0.03)
    doc["benchmarks"] += aggregates(f"Inception{m}-1x1/merged/1/repeats:9/real_time", merged, 0.04)
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "results.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    done = subprocess.run([sys.executable, REPORT, path, "--out", d], capture_output=True, text=True)
    check(done.returncode == 0, f"report.py failed: {done.stderr}")
    with open(os.path.join(d, "report.md")) as f:
        md = f.read()

section = md.split("### Inception modules' 1×1 convs", 1)
check(len(section) == 2, f"no inception section\n{md}")
check("| Inception" not in section[0], f"inception rows among the inference workloads\n{md}")
for m, (separate, merged) in times.items():
    row = next((line for line in section[1].splitlines() if line.startswith(f"| {m} |")), None)
    check(row is not None, f"no row for module {m}\n{md}")
    cells = [c.strip() for c in row.strip("|").split("|")]
    check(abs(float(cells[2]) - separate) <= 0.005 * separate and abs(float(cells[3]) - merged) <= 0.005 * merged,
          f"module {m}: times {cells[2:4]}, want {separate:.4g} and {merged:.4g}")
    check(abs(float(cells[6].rstrip("×")) - separate / merged) <= 0.01 * separate / merged,
          f"module {m}: speedup {cells[6]}, want {separate / merged:.3g}")
best = sum(min(s, m) for s, m in times.values())
total = next(line for line in section[1].splitlines() if line.startswith("All modules:"))
check(f"{best:.3g}" in total, f"total of the faster of each pair: {total!r}, want {best:.3g}")
print("ok")
