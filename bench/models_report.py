#!/usr/bin/python3
"""Turn models_bench's Google Benchmark JSON into the real-model report.

    models_report.py MODELS.json [MORE.json ...] [--out DIR]

Writes DIR/models.md (also printed): per model and batch, each implementation's median ms, kiln's
speed over ONNX Runtime with its noise (the standard errors of both medians, combined) for kiln with
packed weights and the cost model's plans (the headline: no tuning needed) and with tuned plans,
GFLOP/s and % of the measured FMA ceiling; the geomean of kiln over ONNX Runtime per batch; JIT
compile times. Several files (a run and a rerun of some rows) are merged, the later winning.
DIR/models-speedup.png charts kiln (packed weights) over ONNX Runtime per model, when matplotlib is
installed. Exit status 0, or 2 on unusable input.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import InputError, cv_of, geomean, load, stat, write_atomically  # noqa: E402

IMPLS = [("kiln", "kiln"), ("kiln-packed", "kiln, packed weights"), ("kiln-tuned", "kiln, packed, tuned"),
         ("onnxruntime", "ONNX Runtime"), ("pytorch", "PyTorch")]
MODEL_ORDER = ["resnet18", "resnet50", "resnext50_32x4d", "mobilenet_v2", "mnasnet1_0", "squeezenet1_1", "googlenet",
               "densenet121", "efficientnet_b0", "mobilenet_v3_small", "regnet_y_400mf",
               "shufflenet_v2_x1_0", "convnext_tiny"]
DASH = "—"


def gflops(value):
    """The counters use kIs1000, which scales only the console: the JSON holds FLOP/s under the name
    'GFLOP/s' (no CPU reaches 1e6 GFLOP/s)."""
    return value * 1e-9 if value and value > 1e6 else value


def row_of(rec):
    if rec["error"]:
        return {"error": rec["error"]}
    median = stat(rec, "real_time", in_ms=True)
    n = len(rec["iters"]) or int(rec["agg"].get("median", {}).get("repetitions", 0) or 0)
    cv = cv_of(rec)
    return {"ms": median, "gflops": gflops(stat(rec, "GFLOP/s")), "cv": cv, "n": n,
            "se": 1.2533 * cv * median / math.sqrt(n) if cv is not None and n and median else None}


def build(records):
    ceiling = gflops(next((stat(r, "GFLOP/s") for (w, i, b), r in records.items() if (w, i) == ("ceiling", "fma")), None))
    models, compiles = {}, {}
    for (workload, impl, batch), rec in records.items():
        if workload == "ceiling":
            continue
        if workload == "compile":  # compile/<model>/kiln
            compiles[impl.split("/")[0]] = stat(rec, "real_time", in_ms=True)
            continue
        models.setdefault((workload, batch), {})[impl] = row_of(rec)
    return ceiling, models, compiles


def speedup(kiln, peer):
    """kiln's speed over the peer's (> 1: kiln faster) and its standard error."""
    if not kiln or not peer or not kiln.get("ms") or not peer.get("ms"):
        return None, None
    ratio = peer["ms"] / kiln["ms"]
    if kiln.get("se") is None or peer.get("se") is None:
        return ratio, None
    return ratio, ratio * math.hypot(kiln["se"] / kiln["ms"], peer["se"] / peer["ms"])


def percent(row, ceiling):
    return f"{100 * row['gflops'] / ceiling:.0f} %" if row and row.get("gflops") and ceiling else DASH


def order(key):
    model, batch = key
    return (MODEL_ORDER.index(model) if model in MODEL_ORDER else len(MODEL_ORDER), model, batch or 0)


def ratio_cell(kiln, peer):
    ratio, se = speedup(kiln, peer)
    return (f"{ratio:.2f}×" + (f" ± {se:.2f}" if se else "")) if ratio else DASH


def peer_version(text):
    """'1.30.0 2' (what the servers say: version, threads) as '1.30.0 (2 threads)'."""
    words = (text or "?").split()
    return f"{words[0]} ({words[1]} threads)" if len(words) == 2 and words[1].isdigit() else (text or "?")


def markdown(context, ceiling, models, compiles):
    out = ["# kiln against ONNX Runtime and PyTorch on whole models", "",
           f"CPU {context.get('cpu', '?')}, {context.get('threads', '?')} threads; Halide {context.get('halide', '?')}; "
           f"ONNX Runtime {peer_version(context.get('onnxruntime'))}; PyTorch {peer_version(context.get('torch'))}; "
           f"tuning: {context.get('tuning', '?')}. " +
           (f"Measured FMA ceiling: {ceiling:.0f} GFLOP/s." if ceiling else "Measured FMA ceiling: not in this run."), "",
           "Median ms of the interleaved repetitions. kiln / ORT: the speed of kiln with packed weights and the cost model's "
           "plans over ONNX Runtime's (> 1: kiln is faster), ± one standard error; tuned / ORT the same with kiln-tune's "
           "plans. GFLOP/s and % of the FMA ceiling over kiln's nominal MACs, for kiln packed and for ONNX Runtime.", ""]
    head = ("| model | batch | " + " | ".join(label + " ms" for _, label in IMPLS) +
            " | kiln / ORT | tuned / ORT | kiln GFLOP/s | kiln % ceiling | ORT % ceiling |")
    out += [head, "|" + "---|" * (head.count("|") - 1)]
    by_batch = {}
    for key in sorted(models, key=order):
        (model, batch), impls = key, models[key]
        cells = []
        for impl, _ in IMPLS:
            r = impls.get(impl)
            cells.append(DASH if not r else "error" if r.get("error") else f"{r['ms']:.2f}")
        kiln, ort = impls.get("kiln-packed"), impls.get("onnxruntime")
        ratio, _ = speedup(kiln, ort)
        if ratio:
            by_batch.setdefault(batch, []).append(ratio)
        gflops_cell = f"{kiln['gflops']:.0f}" if kiln and kiln.get("gflops") else DASH
        out.append(f"| {model} | {batch} | " + " | ".join(cells) + f" | {ratio_cell(kiln, ort)} | {ratio_cell(impls.get('kiln-tuned'), ort)}"
                   f" | {gflops_cell} | {percent(kiln, ceiling)} | {percent(ort, ceiling)} |")
    out.append("")
    for batch in sorted(by_batch, key=lambda b: (b is None, b)):
        ratios = by_batch[batch]
        out.append(f"Batch {batch}: kiln (packed) / ONNX Runtime geomean **{geomean(ratios):.2f}×** over {len(ratios)} models "
                   f"(lowest {min(ratios):.2f}×, highest {max(ratios):.2f}×).")
    if compiles:
        out += ["", "JIT compile (`fused`, per segment, cold): " +
                ", ".join(f"{m} {compiles[m] / 1000:.1f} s" for m in sorted(compiles, key=lambda m: order((m, 0))) if compiles[m]) + "."]
    return "\n".join(out) + "\n"


def chart(models, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("models_report.py: matplotlib missing (python3-matplotlib): no chart", file=sys.stderr)
        return False
    from charts import save_atomically
    keys = sorted((k for k in models if speedup(models[k].get("kiln-packed"), models[k].get("onnxruntime"))[0]), key=order)
    if not keys:
        return False
    ratios = [speedup(models[k].get("kiln-packed"), models[k].get("onnxruntime")) for k in keys]
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(keys) + 2), 4))
    xs = range(len(keys))
    ax.bar(xs, [r for r, _ in ratios], yerr=[se or 0 for _, se in ratios], color=["#d95f02" if r >= 1 else "#7570b3" for r, _ in ratios])
    for x, (r, _) in zip(xs, ratios):
        ax.annotate(f"{r:.2f}", (x, r), ha="center", va="bottom", fontsize=8)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(list(xs), [f"{m} b{b}" for m, b in keys], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("kiln speed / ONNX Runtime (> 1: kiln faster)")
    ax.set_title("kiln (packed weights) over ONNX Runtime, whole models")
    fig.tight_layout()
    save_atomically(fig, path)
    plt.close(fig)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--out", default=".")
    args = parser.parse_args()
    context, records = {}, {}
    try:
        for path in args.results:
            more_context, more_records = load(path)
            context.update(more_context)
            records.update(more_records)
    except InputError as e:
        print(f"models_report.py: {e}", file=sys.stderr)
        return 2
    ceiling, models, compiles = build(records)
    if not models:
        print(f"models_report.py: {' '.join(args.results)} hold no model rows", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    text = markdown(context, ceiling, models, compiles)
    write_atomically(os.path.join(args.out, "models.md"), text)
    print(text)
    if chart(models, os.path.join(args.out, "models-speedup.png")):
        print(f"models_report.py: wrote {os.path.join(args.out, 'models-speedup.png')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
