#!/usr/bin/python3
"""ONNX Runtime's own per-node profile of a model, to set beside `kiln-inspect MODEL.onnx
--segment-times`: ONNX Runtime's profiler (session option enableProfiling) over 20 runs, through
bench/onnxruntime_serve.mjs, summed per node (ONNX Runtime's fused node names) and per operator.

    /usr/bin/python3 bench/onnxruntime_profile.py MODEL.onnx [--batch B] [--top N]
        [--module build/bench-peers/node_modules/onnxruntime-node]
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--module", default="build/bench-peers/node_modules/onnxruntime-node")
    args = parser.parse_args()
    if args.batch < 1:
        sys.exit("onnxruntime_profile.py: --batch must be at least 1")
    if not os.path.isfile(args.model):
        sys.exit(f"onnxruntime_profile.py: no such model: {args.model}")
    node = shutil.which("node")
    if not node:
        sys.exit("onnxruntime_profile.py: Node.js is not installed")
    work = tempfile.mkdtemp(prefix="ort-profile-")
    try:
        request = f"profile {os.path.abspath(args.model)} {args.batch} {os.path.join(work, 'ort')}\n"
        done = subprocess.run([node, os.path.join(HERE, "onnxruntime_serve.mjs"), args.module], input=request,
                              capture_output=True, text=True)
        replies = done.stdout.split("\n")
        if not replies[0].startswith("ready") or len(replies) < 2 or not replies[1].startswith("ok"):
            sys.exit("onnxruntime_profile.py: ONNX Runtime said: " + " / ".join(r for r in replies if r) + done.stderr)
        files = glob.glob(os.path.join(work, "ort*.json"))
        if not files:
            sys.exit("onnxruntime_profile.py: ONNX Runtime wrote no profile")
        with open(files[0]) as f:
            events = json.load(f)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    runs = sum(1 for e in events if e.get("cat") == "Session" and e.get("name") == "model_run")
    per_node, per_op = {}, {}
    for e in events:
        if e.get("cat") != "Node" or not str(e.get("name", "")).endswith("_kernel_time"):
            continue
        name = e["name"][: -len("_kernel_time")]
        op = e.get("args", {}).get("op_name", "?")
        per_node[name] = (op, per_node.get(name, (op, 0))[1] + e.get("dur", 0))
        per_op[op] = per_op.get(op, 0) + e.get("dur", 0)
    runs = max(runs, 1)
    total = sum(t for _, t in per_node.values())
    print(f"ONNX Runtime, {os.path.basename(args.model)}, batch {args.batch}: {total / runs / 1000:.3f} ms of kernels a run "
          f"(mean of {runs} runs)")
    print(f"{'operator':<28} {'ms':>9} {'share':>7}")
    for op, t in sorted(per_op.items(), key=lambda kv: -kv[1]):
        print(f"{op:<28} {t / runs / 1000:9.3f} {100 * t / total:6.1f}%")
    print(f"\n{'node (the top ' + str(args.top) + ')':<44} {'operator':<20} {'ms':>9}")
    for name, (op, t) in sorted(per_node.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"{name:<44} {op:<20} {t / runs / 1000:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
