#!/usr/bin/python3
"""bench/report.py's fusion guard on synthetic Google Benchmark JSON: a fused row clearly slower than
its unfused twin must fail the report (exit 3); one slower only within the run's spread must pass
and be listed as within noise; a faster one must pass silently."""
import json
import os
import random
import subprocess
import sys
import tempfile

from synthetic_results import aggregates, check  # noqa: E402

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "report.py")


def run_report(fused_ms, unfused_ms, cv):
    doc = {"context": {"cpu": "test"}, "benchmarks":
           aggregates("ceiling/fma/repeats:9/real_time", 1.0, 0.01)
           + aggregates("W9/fused/4/repeats:9/real_time", fused_ms, cv)
           + aggregates("W9/unfused/4/repeats:9/real_time", unfused_ms, cv)}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "results.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        done = subprocess.run([sys.executable, REPORT, path, "--out", d], capture_output=True, text=True)
        with open(os.path.join(d, "report.md")) as f:
            return done.returncode, f.read()


seed = random.randrange(1 << 30)
print("seed", seed)
rng = random.Random(seed)
unfused = rng.uniform(1.0, 100.0)

# 10-30 % slower with a 1 % spread: far beyond two standard errors (~0.8 % of the time).
rc, md = run_report(unfused * rng.uniform(1.10, 1.30), unfused, 0.01)
check(rc == 3 and "FUSION GUARD: W9 b4" in md, f"a clear slowdown must trip the guard (rc {rc})\n{md}")

# 5 % slower with a 25 % spread: the difference is inside the noise (two standard errors ~21 %).
rc, md = run_report(unfused * 1.05, unfused, 0.25)
check(rc == 0 and "within noise: W9 b4" in md and "passed on every row" in md,
      f"a slowdown inside the noise must be listed, not fail (rc {rc})\n{md}")

# faster: nothing to say
rc, md = run_report(unfused * rng.uniform(0.5, 0.95), unfused, 0.01)
check(rc == 0 and "within noise" not in md and "passed on every row" in md, f"fused faster must pass (rc {rc})\n{md}")
print("ok")
