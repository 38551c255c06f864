#!/usr/bin/python3
"""Turn schedules_bench's Google Benchmark JSON into a results report.

    report.py RESULTS.json [--out DIR] [--guard-tolerance T]

Writes DIR/report.json (every row, the summary against the plan's targets, the fusion guard),
DIR/report.md (the same as a markdown table, also printed to stdout) and DIR/report.svg (a bar
chart of % of the measured FMA ceiling). Exit status: 0, 3 when the fusion guard tripped (fused
slower than unfused beyond run-to-run noise; files are still written), 2 on unusable input.
Standard library only, so it runs anywhere the benchmark does.
"""
import argparse
import json
import math
import os
import statistics
import sys
import tempfile
from xml.sax.saxutils import escape

TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
# name parts that Google Benchmark appends and that are not workload/implementation/batch
NOISE_PREFIXES = ("repeats:", "iterations:", "min_time:", "min_warmup_time:", "threads:")
NOISE_PARTS = {"real_time", "manual_time", "process_time"}
CONTEXT_KEYS = ["date", "host_name", "num_cpus", "mhz_per_cpu", "caches", "cpu", "threads", "halide", "onednn", "torch"]
PEERS = {"onednn": "oneDNN", "pytorch": "PyTorch"}
# chart series: (key, legend label, colour); "auto" is the fastest autoscheduler of the group
SERIES = [("fused", "kiln fused", "#d95f02"), ("fused-tuned", "kiln fused, tuned", "#7f2704"),
          ("unfused", "kiln unfused", "#fdb863"),
          ("auto", "best Halide autoscheduler", "#7570b3"), ("onednn", "oneDNN", "#1f78b4"),
          ("pytorch", "PyTorch", "#e7298a")]
DASH = "—"


class InputError(Exception):
    pass



def write_atomically(path, text):
    """The text written beside `path` and renamed over it (as kiln/runtime/atomic_file.hpp does):
    an interrupted report leaves the last one whole."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".partial", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise

def parse_name(entry):
    """(workload, impl, batch) from e.g. 'W1/onednn/128/repeats:9/real_time'; batch is None if absent."""
    name = entry.get("run_name")
    if not isinstance(name, str):
        name = str(entry.get("name", ""))
        agg = entry.get("aggregate_name")
        if agg and name.endswith("_" + agg):  # 'name' carries the aggregate as a suffix, run_name does not
            name = name[:-len(agg) - 1]
    parts = [p for p in name.split("/") if p and p not in NOISE_PARTS and not p.startswith(NOISE_PREFIXES)]
    batch = None
    if parts:
        last = parts[-1].rsplit(":", 1)[-1]  # named args look like 'batch:8'
        if last.lstrip("-").isdigit():
            batch, parts = int(last), parts[:-1]
    if len(parts) < 2:
        raise ValueError(f"cannot split {name!r} into workload/implementation")
    return parts[0], "/".join(parts[1:]), batch


def load(path):
    """Group the benchmark entries by (workload, batch, impl), in input order."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise InputError(f"{path} is not Google Benchmark JSON (no 'benchmarks' list)")
    context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    records = {}
    for entry in doc["benchmarks"]:
        try:
            if not isinstance(entry, dict):
                raise ValueError("entry is not an object")
            key = parse_name(entry)
        except ValueError as e:
            print(f"report.py: warning: skipping a benchmark entry: {e}", file=sys.stderr)
            continue
        rec = records.setdefault(key, {"agg": {}, "iters": [], "error": None})
        if entry.get("error_occurred"):
            rec["error"] = rec["error"] or str(entry.get("error_message") or "error, no message")
        elif entry.get("run_type") == "aggregate" and entry.get("aggregate_name"):
            rec["agg"][entry["aggregate_name"]] = entry
        else:
            rec["iters"].append(entry)
    if not records:
        raise InputError(f"{path} holds no benchmark entries")
    return context, records


def number(entry, field, scale=1.0):
    v = entry.get(field)
    return float(v) * scale if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def stat(rec, field, in_ms=False):
    """Median of a field: the median aggregate, else over the repetitions, else the mean aggregate."""
    def get(e):
        return number(e, field, TO_MS.get(e.get("time_unit", "ns"), 1e-6) if in_ms else 1.0)
    if "median" in rec["agg"] and get(rec["agg"]["median"]) is not None:
        return get(rec["agg"]["median"])
    values = [v for v in map(get, rec["iters"]) if v is not None]
    if values:
        return statistics.median(values)
    return get(rec["agg"]["mean"]) if "mean" in rec["agg"] else None


def cv_of(rec):
    if "cv" in rec["agg"]:  # Google Benchmark stores the coefficient of variation as a fraction
        return number(rec["agg"]["cv"], "real_time")
    mean, sd = (number(rec["agg"].get(a, {}), "real_time") for a in ("mean", "stddev"))
    return sd / mean if mean and sd is not None else None


def geomean(values):
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def build_rows(records):
    ceiling = next((stat(r, "GFLOP/s") for (w, i, b), r in records.items() if (w, i, b) == ("ceiling", "fma", None)), None)
    # The binary's counters use kIs1000, which only scales the console display: the JSON holds
    # FLOP/s under the name 'GFLOP/s'. No CPU reaches 1e6 GFLOP/s, so larger values are FLOP/s.
    flops = [stat(r, k) for r in records.values() for k in ("GFLOP/s", "useful_GFLOP/s")]
    scale = 1e-9 if max((v for v in flops if v), default=0) > 1e6 else 1.0
    ceiling = ceiling * scale if ceiling else None
    memory = records.get(("ceiling", "memory", None))
    bandwidth = stat(memory, "bytes_per_second") / 1e9 if memory and stat(memory, "bytes_per_second") else None
    rows = []
    for (workload, impl, batch), rec in records.items():
        if (workload == "ceiling" and batch is None) or workload == "compile":  # compile: see compile_rows
            continue
        row = {"workload": workload, "batch": batch, "impl": impl}
        if rec["error"] and stat(rec, "real_time") is None:
            row.update(status="refused", error=rec["error"])
            rows.append(row)
            continue
        gflops, useful = (stat(rec, k) for k in ("GFLOP/s", "useful_GFLOP/s"))
        reps = rec["agg"].get("median", {}).get("repetitions") or len(rec["iters"]) or None
        row.update(median_ms=stat(rec, "real_time", in_ms=True), cv=cv_of(rec), repetitions=reps,
                   gflops=gflops * scale if gflops is not None else None,
                   useful_gflops=useful * scale if useful is not None else None)
        row["pct_ceiling"] = row["useful_gflops"] / ceiling * 100 if ceiling and row["useful_gflops"] else None
        if stat(rec, "MiB_moved") is not None:
            row["mib_moved"] = stat(rec, "MiB_moved")
        if stat(rec, "images/s") is not None:
            row["images_per_s"] = stat(rec, "images/s")
        rows.append(row)
    # ratios need every row first: speed vs peer = peer median / this median (> 1: this is faster)
    timed = {(r["workload"], r["batch"], r["impl"]): r["median_ms"] for r in rows if r.get("median_ms")}
    for row in rows:
        for peer in PEERS:
            theirs = timed.get((row["workload"], row["batch"], peer))
            if theirs and row.get("median_ms"):
                row[f"speed_vs_{peer}"] = theirs / row["median_ms"]
    return ceiling, bandwidth, rows


def group_rows(rows):
    """{(workload, batch): {impl: row}}, by workload then batch (interleaved runs emit them shuffled)."""
    groups = {}
    for row in rows:
        groups.setdefault((row["workload"], row["batch"]), {})[row["impl"]] = row
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] if kv[0][1] is not None else -1)))


def best_auto(impls):
    autos = [r for name, r in impls.items() if name.startswith("auto-") and r.get("median_ms")]
    return min(autos, key=lambda r: r["median_ms"], default=None)


def label(workload, batch):
    return workload if batch is None else f"{workload} b{batch}"


def summarize(groups):
    def ratio_set(peer, large):
        """fused vs peer over rows where the peer ran; rows where fused did not run count as missing."""
        vals, names, missing = [], [], []
        for (w, b), impls in groups.items():
            if b is None or (b > 1) != large or not impls.get(peer, {}).get("median_ms"):
                continue
            ratio = impls.get("fused", {}).get(f"speed_vs_{peer}")
            if ratio is None:
                missing.append(label(w, b))
            else:
                vals.append(ratio)
                names.append(label(w, b))
        return {"geomean": geomean(vals), "min": min(vals, default=None), "rows": names, "fused_missing": missing}

    summary = {f"vs_{p}": {"batch1": ratio_set(p, False), "large_batch": ratio_set(p, True)} for p in PEERS}
    summary["ceiling_pct_large_batch"] = [
        {"workload": w, "batch": b, "pct": impls.get("fused", {}).get("pct_ceiling")}
        for (w, b), impls in groups.items() if w in ("W2", "W3", "W4") and b is not None and b > 1]
    vs_unfused, no_fused = {}, {"unfused": [], "ceiling": []}  # rows where fused did not run
    for (w, b), impls in groups.items():
        fused, unfused = (impls.get(k, {}).get("median_ms") for k in ("fused", "unfused"))
        if unfused:
            vs_unfused[label(w, b)] = unfused / fused if fused else None
        if not fused and (w, b) in [(c["workload"], c["batch"]) for c in summary["ceiling_pct_large_batch"]]:
            no_fused["ceiling"].append(label(w, b))
    no_fused["unfused"] = [k for k, v in vs_unfused.items() if v is None]
    summary["fused_vs_unfused_min"] = min((v for v in vs_unfused.values() if v is not None), default=None)

    def target(name, value, ok, missing=()):
        """A row where fused did not run fails an 'every row' target even if the others pass."""
        met = False if missing else None if value is None else bool(ok(value))
        return {"target": name, "value": value, "met": met, "fused_missing": list(missing)}

    o1, oL = summary["vs_onednn"]["batch1"], summary["vs_onednn"]["large_batch"]
    p1, pL = summary["vs_pytorch"]["batch1"], summary["vs_pytorch"]["large_batch"]
    pcts = [c["pct"] for c in summary["ceiling_pct_large_batch"] if c["pct"] is not None]
    summary["targets"] = [
        target("batch-1 geomean fused/oneDNN >= 1.25", o1["geomean"], lambda v: v >= 1.25),
        target("every batch-1 row fused/oneDNN >= 0.95", o1["min"], lambda v: v >= 0.95, o1["fused_missing"]),
        target("every large-batch row fused/oneDNN >= 0.95", oL["min"], lambda v: v >= 0.95, oL["fused_missing"]),
        target("large-batch geomean fused/oneDNN >= 1.0", oL["geomean"], lambda v: v >= 1.0),
        target("fused faster than PyTorch on every row", min([p1["min"], pL["min"]], key=lambda v: v or math.inf),
               lambda v: v > 1.0, p1["fused_missing"] + pL["fused_missing"]),
        target("batch-1 geomean fused/PyTorch >= 1.5", p1["geomean"], lambda v: v >= 1.5),
        target(">= 90 % of ceiling on W2-W4 at large batch", min(pcts, default=None), lambda v: v >= 90,
               no_fused["ceiling"]),
        target("fused faster than unfused on every row", summary["fused_vs_unfused_min"], lambda v: v > 1.0,
               no_fused["unfused"])]
    return summary


def median_standard_error(row):
    """Standard error of a median of n repetitions with the row's spread (1.2533 sd / sqrt n)."""
    cv, n, median = row.get("cv"), row.get("repetitions"), row.get("median_ms")
    if cv is None or not n or not median:
        return None
    return 1.2533 * cv * median / math.sqrt(n)


def fusion_guard(groups, tol):
    """Rows where fused is more than `tol` slower than unfused. A slowdown is 'tripped' when it also
    exceeds twice the standard error of the difference of the two medians; a smaller one is within
    the run's noise and only listed (on these VMs a row's spread reaches 20 %)."""
    tripped, within_noise = [], []
    for (w, b), impls in groups.items():
        f_row, u_row = (impls.get(k, {}) for k in ("fused", "unfused"))
        fused, unfused = f_row.get("median_ms"), u_row.get("median_ms")
        if not (fused and unfused and fused > unfused * (1 + tol)):
            continue
        se = [median_standard_error(r) for r in (f_row, u_row)]
        noise = 2 * math.hypot(*se) if None not in se else 0.0
        entry = {"workload": w, "batch": b, "fused_ms": fused, "unfused_ms": unfused,
                 "slowdown": fused / unfused, "noise_ms": noise}
        (tripped if fused - unfused > noise else within_noise).append(entry)
    return tripped, within_noise


def fmt(v, digits=3):
    """About `digits` significant digits, never scientific notation."""
    if v is None:
        return DASH
    if not math.isfinite(v):
        return str(v)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(v))))) if v else 0
    return f"{v:.{decimals}f}"


def cell_ms(impls, impl):
    row = impls.get(impl)
    if row is None:
        return DASH
    return "refused" if "error" in row else fmt(row.get("median_ms"))


def compile_rows(records):
    """Cold JIT compile times, e.g. 'compile/GoogLeNet/fused/per_segment': [(net, schedule, mode, s, pipelines)]."""
    out = []
    for (workload, impl, _), rec in records.items():
        if workload != "compile" or impl.count("/") != 2:
            continue
        ms = stat(rec, "real_time", in_ms=True)
        out.append((*impl.split("/"), ms / 1e3 if ms is not None else None, stat(rec, "pipelines")))
    return sorted(out)


def compile_section(rows):
    if not rows:
        return []
    out = ["", "### JIT compile time (cold, one process, every core)", "",
           "| net | schedule | pipelines | compile s |", "|---|---|---|---:|"]
    for net, schedule, mode, secs, pipelines in rows:
        count = DASH if pipelines is None else f"{int(pipelines)} ({mode.replace('_', ' ')})"
        out.append(f"| {net} | {schedule} | {count} | {fmt(secs)} |")
    return out


def tuned_section(groups):
    """fused-tuned (fused with kiln-tune's measured plans) against the cost model's fused and oneDNN,
    each ratio with the two rows' CVs, so a gain inside the run's noise reads as one."""
    rows = [(w, b, impls) for (w, b), impls in groups.items() if "fused-tuned" in impls]
    if not rows:
        return []
    out = ["", "### Measured tuning (`fused-tuned`: fused with this machine's kiln-tune plans)", "",
           "| workload | batch | fused-tuned ms | tuned/fused | tuned/oneDNN | fused/oneDNN | CV tuned, fused, oneDNN |",
           "|---|---:|---:|---:|---:|---:|---|"]
    x = lambda v: DASH if v is None else f"{fmt(v)}×"
    pct = lambda r: DASH if r.get("cv") is None else f"{r['cv'] * 100:.1f} %"
    ratios = []
    for w, b, impls in rows:
        t, f, o = (impls.get(k, {}) for k in ("fused-tuned", "fused", "onednn"))
        vs_fused = f["median_ms"] / t["median_ms"] if t.get("median_ms") and f.get("median_ms") else None
        if t.get("speed_vs_onednn"):
            ratios.append((b, t["speed_vs_onednn"]))
        out.append(f"| {w} | {DASH if b is None else b} | {cell_ms(impls, 'fused-tuned')} | {x(vs_fused)} "
                   f"| {x(t.get('speed_vs_onednn'))} | {x(f.get('speed_vs_onednn'))} | {pct(t)}, {pct(f)}, {pct(o)} |")
    b1 = [r for b, r in ratios if b == 1]
    large = [r for b, r in ratios if b is not None and b > 1]
    out += ["", f"- fused-tuned vs oneDNN: batch 1 geomean {x(geomean(b1))}, min {x(min(b1, default=None))}; "
                f"large batch geomean {x(geomean(large))}, min {x(min(large, default=None))}"]
    return out


def aot_section(groups):
    """AOT kernels (kiln_add_net, called through their typed headers) against the JIT nets with the
    same schedule and plans, each with its CV: what the generated driver costs, if anything."""
    rows = [(w, b, impls) for (w, b), impls in groups.items() if "aot" in impls]
    if not rows:
        return []
    out = ["", "### AOT kernels (`aot`: per segment, as `kiln_add_net` generates them; `aot-whole`: one pipeline)", "",
           "| workload | batch | aot ms | JIT fused ms | aot/JIT time | aot-whole ms | fused-whole (JIT) ms | CV aot, fused |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    pct = lambda r: DASH if r.get("cv") is None else f"{r['cv'] * 100:.1f} %"
    for w, b, impls in rows:
        a, f = impls.get("aot", {}), impls.get("fused", {})
        ratio = a["median_ms"] / f["median_ms"] if a.get("median_ms") and f.get("median_ms") else None
        out.append(f"| {w} | {DASH if b is None else b} | {cell_ms(impls, 'aot')} | {cell_ms(impls, 'fused')} "
                   f"| {DASH if ratio is None else fmt(ratio)} | {cell_ms(impls, 'aot-whole')} | {cell_ms(impls, 'fused-whole')} "
                   f"| {pct(a)}, {pct(f)} |")
    return out


def training_section(train_groups, ceiling):
    """Training throughput: kiln's TrainNet step against PyTorch's, same net, batch and threads."""
    if not train_groups:
        return []
    out = ["", "### Training (one step: forward, loss, backward, update)", "",
           "kiln: its own backward pass (`unfused`); kiln-fused: the same with read-once gradients computed inside "
           "their consumers (`fused`); kiln-autodiff: Halide's autodiff of the whole net under Mullapudi2016.", "",
           "| net | batch | kiln ms | kiln images/s | kiln-fused ms | kiln-autodiff ms | PyTorch ms | PyTorch images/s "
           "| kiln/PyTorch | fused/unfused | kiln/kiln-autodiff | kiln GFLOP/s (3× forward) | % ceiling |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def speedup(slow, fast):
        return slow["median_ms"] / fast["median_ms"] if slow.get("median_ms") and fast.get("median_ms") else None

    def times(v):
        return DASH if v is None else fmt(v) + '×'

    for (w, b), impls in train_groups.items():
        k, f, a, p = (impls.get(name, {}) for name in ("kiln", "kiln-fused", "kiln-autodiff", "pytorch"))
        pct = k["gflops"] / ceiling * 100 if ceiling and k.get("gflops") else None
        out.append(f"| {w.removesuffix('-train')} | {b} | {cell_ms(impls, 'kiln')} | {fmt(k.get('images_per_s'))} "
                   f"| {cell_ms(impls, 'kiln-fused')} | {cell_ms(impls, 'kiln-autodiff')} | {cell_ms(impls, 'pytorch')} "
                   f"| {fmt(p.get('images_per_s'))} | {times(speedup(p, k))} | {times(speedup(k, f))} | {times(speedup(a, k))} "
                   f"| {fmt(k.get('gflops'))} | {DASH if pct is None else fmt(pct) + ' %'} |")
    return out


def is_shared_read_row(workload):
    """The rows of bench/inception_reduce_rows.hpp: a module's three 1x1 convs, separate or merged."""
    return workload.startswith("Inception") and workload.endswith("-1x1")


def shared_read_section(share_groups):
    """What one shared read of an inception module's input could buy its 1x1 convs: the three run
    separately against one conv with all their filters, and the total of the faster of each pair."""
    if not share_groups:
        return []
    out = ["", "### Inception modules' 1×1 convs: separate, or merged into one conv (one read of the input)", "",
           "| module | batch | separate ms | merged ms | separate GFLOP/s | merged GFLOP/s | merged speedup | CV separate, merged |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    total_separate, total_best, complete = 0.0, 0.0, True
    for (w, b), impls in share_groups.items():
        sep, mer = impls.get("separate", {}), impls.get("merged", {})
        speedup = sep["median_ms"] / mer["median_ms"] if sep.get("median_ms") and mer.get("median_ms") else None
        if speedup is None:
            complete = False
        else:
            total_separate += sep["median_ms"]
            total_best += min(sep["median_ms"], mer["median_ms"])
        cvs = ", ".join(DASH if r.get("cv") is None else f"{fmt(r['cv'] * 100)} %" for r in (sep, mer))
        out.append(f"| {w.removeprefix('Inception').removesuffix('-1x1')} | {b} | {cell_ms(impls, 'separate')} "
                   f"| {cell_ms(impls, 'merged')} | {fmt(sep.get('gflops'))} | {fmt(mer.get('gflops'))} "
                   f"| {DASH if speedup is None else fmt(speedup) + '×'} | {cvs} |")
    if complete:
        out += ["", f"All modules: {fmt(total_separate)} ms separate; {fmt(total_best)} ms taking the faster of each pair "
                    f"(saves {fmt(total_separate - total_best)} ms)."]
    return out


def markdown(ctx, ceiling, groups, summary, guard, tol, compiles=(), train_groups=None, share_groups=None):
    versions = ", ".join(f"{n} {ctx[k]}" for k, n in (("halide", "Halide"), ("onednn", "oneDNN"), ("torch", "PyTorch")))
    out = ["## kiln benchmark results", "",
           f"{ctx['date']} · CPU: {ctx['cpu']} · threads: {ctx['threads']} · {versions} · "
           f"measured FMA ceiling: {fmt(ceiling)} GFLOP/s", "",
           "Times are medians over the repetitions. Ratios are speedups of kiln's fused schedule (> 1: fused is faster).", "",
           "| workload | batch | fused ms | fused useful GFLOP/s | fused % ceiling | fused/oneDNN | fused/PyTorch "
           "| fused/unfused | MiB moved fused vs unfused | best autoscheduler | oneDNN ms | PyTorch ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    x = lambda v: DASH if v is None else f"{fmt(v)}×"
    for (w, b), impls in groups.items():
        f, u = impls.get("fused", {}), impls.get("unfused", {})
        vs_unfused = u["median_ms"] / f["median_ms"] if f.get("median_ms") and u.get("median_ms") else None
        mib = DASH if "mib_moved" not in f and "mib_moved" not in u else \
            f"{fmt(f.get('mib_moved'), 2)} vs {fmt(u.get('mib_moved'), 2)}"
        auto = best_auto(impls)
        auto_cell = f"{auto['impl'].removeprefix('auto-')} {fmt(auto['median_ms'])} ms" if auto else DASH
        pct = f"{fmt(f['pct_ceiling'])} %" if f.get("pct_ceiling") is not None else DASH
        out.append(f"| {w} | {DASH if b is None else b} | {cell_ms(impls, 'fused')} | {fmt(f.get('useful_gflops'))} "
                   f"| {pct} | {x(f.get('speed_vs_onednn'))} | {x(f.get('speed_vs_pytorch'))} | {x(vs_unfused)} "
                   f"| {mib} | {auto_cell} | {cell_ms(impls, 'onednn')} | {cell_ms(impls, 'pytorch')} |")
    out += tuned_section(groups)
    out += aot_section(groups)
    out += compile_section(compiles)
    out += training_section(train_groups or {}, ceiling)
    out += shared_read_section(share_groups or {})
    out += ["", "### Summary", ""]
    for peer, name in PEERS.items():
        for part, title in (("batch1", "batch 1"), ("large_batch", "large batch")):
            s = summary[f"vs_{peer}"][part]
            missing = f"; fused missing on {', '.join(s['fused_missing'])}" if s["fused_missing"] else ""
            out.append(f"- fused vs {name}, {title}: geomean {x(s['geomean'])}, min {x(s['min'])} "
                       f"over {', '.join(s['rows']) or 'no rows'}{missing}")
    for c in summary["ceiling_pct_large_batch"]:
        out.append(f"- {label(c['workload'], c['batch'])}: fused at "
                   f"{DASH if c['pct'] is None else fmt(c['pct']) + ' %'} of the FMA ceiling")
    out += ["", "### Targets", ""]
    for t in summary["targets"]:
        status = {True: "met", False: "not met", None: "not measured"}[t["met"]]
        missing = f"; fused did not run on {', '.join(t['fused_missing'])}" if t["fused_missing"] else ""
        out.append(f"- {t['target']}: **{status}** (measured {fmt(t['value'])}{missing})")
    out += ["", f"### Fusion guard (fused may be at most {tol * 100:g} % slower than unfused, beyond the run's noise)", ""]
    tripped, within_noise = guard
    out += [f"- FUSION GUARD: {label(g['workload'], g['batch'])} fused {fmt(g['fused_ms'])} ms vs unfused "
            f"{fmt(g['unfused_ms'])} ms ({fmt(g['slowdown'])}× slower, beyond the ±{fmt(g['noise_ms'])} ms noise)"
            for g in tripped] or ["- passed on every row"]
    out += [f"- within noise: {label(g['workload'], g['batch'])} fused {fmt(g['fused_ms'])} ms vs unfused "
            f"{fmt(g['unfused_ms'])} ms ({fmt(g['slowdown'])}× slower, but the difference is inside ±"
            f"{fmt(g['noise_ms'])} ms, two standard errors of this run)" for g in within_noise]
    return "\n".join(out) + "\n"


def svg_chart(ctx, groups):
    """Grouped bars of % of the FMA ceiling; refused bars get a '×' at the baseline."""
    bars = []  # (group index, series index, value or None, tooltip)
    for gi, ((w, b), impls) in enumerate(groups.items()):
        for si, (key, name, _) in enumerate(SERIES):
            row = best_auto(impls) if key == "auto" else impls.get(key)
            if key == "auto" and row is None and any(k.startswith("auto-") for k in impls):
                row = {"error": "every autoscheduler refused"}
            if row is not None and "error" in row:
                bars.append((gi, si, None, f"{label(w, b)} {name}: refused: {row['error']}"))
            elif row is not None and row.get("pct_ceiling") is not None:
                bars.append((gi, si, row["pct_ceiling"], f"{label(w, b)} {row['impl']}: {fmt(row['pct_ceiling'])} % "
                                                         f"of ceiling, {fmt(row['median_ms'])} ms"))
    present = sorted({si for _, si, _, _ in bars})
    slot = {si: i for i, si in enumerate(present)}
    bar_w, gap = 11, 18
    group_w = max(1, len(present)) * bar_w + gap
    left, top, plot_h = 56, 100, 300
    top_value = max([100.0] + [v for _, _, v, _ in bars if v is not None])
    y_max = math.ceil(top_value / 20) * 20
    width = max(left + len(groups) * group_w + 20, 760)
    height = top + plot_h + 90
    y = lambda v: top + plot_h - v / y_max * plot_h
    title = "kiln vs peers: % of measured FMA ceiling (useful FLOPs), higher is better"
    sub = f"CPU: {ctx['cpu']} · threads: {ctx['threads']} · {ctx['date']}"
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="#ffffff"/>',  # readable in GitHub's dark mode too
         f'<text x="{left}" y="24" font-size="15" font-weight="bold">{escape(title)}</text>',
         f'<text x="{left}" y="44" fill="#555555">{escape(sub)}</text>']
    lx = left
    for si in present:  # legend in one row under the subtitle
        key, name, colour = SERIES[si]
        s.append(f'<rect x="{lx}" y="58" width="12" height="12" fill="{colour}"/>'
                 f'<text x="{lx + 16}" y="69">{escape(name)}</text>')
        lx += 28 + 7 * len(name)
    for v in range(0, y_max + 1, 20):
        s.append(f'<line x1="{left}" x2="{left + len(groups) * group_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                 f'stroke="{"#333333" if v == 0 else "#dddddd"}"/>'
                 f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v} %</text>')
    s.append(f'<text transform="translate(14 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">'
             f'% of FMA ceiling</text>')
    slant = max(len(label(w, b)) for w, b in groups) * 7 > group_w - 4  # long names would collide: tilt them
    for gi, (w, b) in enumerate(groups):
        cx, ly = left + gi * group_w + group_w / 2, top + plot_h + 18
        tilt = f' transform="rotate(-30 {cx:.1f} {ly})" text-anchor="end"' if slant else ' text-anchor="middle"'
        s.append(f'<text x="{cx:.1f}" y="{ly}"{tilt}>{escape(label(w, b))}</text>')
    for gi, si, v, tip in bars:
        x0 = left + gi * group_w + gap / 2 + slot[si] * bar_w
        if v is None:
            s.append(f'<text x="{x0 + bar_w / 2:.1f}" y="{top + plot_h - 3}" text-anchor="middle" '
                     f'fill="{SERIES[si][2]}"><title>{escape(tip)}</title>×</text>')
        else:
            s.append(f'<rect x="{x0:.1f}" y="{y(v):.1f}" width="{bar_w - 1}" height="{top + plot_h - y(v):.1f}" '
                     f'fill="{SERIES[si][2]}"><title>{escape(tip)}</title></rect>')
    if not any(v is not None for _, _, v, _ in bars):
        s.append(f'<text x="{left + 10}" y="{top + 20}" fill="#aa0000">no FMA ceiling or no useful GFLOP/s '
                 f'in the results: nothing to plot</text>')
    return "\n".join(s + ["</svg>"]) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", help="Google Benchmark JSON from schedules_bench --benchmark_out")
    ap.add_argument("--out", default="bench/results", help="output directory (default: bench/results)")
    ap.add_argument("--guard-tolerance", type=float, default=0.03,
                    help="fused may be this fraction slower than unfused before the guard trips (default 0.03)")
    args = ap.parse_args()
    if not args.guard_tolerance >= 0:
        ap.error("--guard-tolerance must be a non-negative fraction")
    try:
        raw_ctx, records = load(args.results)
    except InputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    # the named keys always appear ("unknown" when absent); other string keys the binary added ride along
    ctx = {k: v for k, v in raw_ctx.items() if isinstance(v, str)}
    ctx.update({k: raw_ctx.get(k, "unknown") for k in CONTEXT_KEYS})
    ceiling, bandwidth, rows = build_rows(records)
    all_groups = group_rows(rows)
    # Training rows ("<net>-train") and the inception 1x1 rows have their own sections; the rest is inference.
    train_groups = {k: v for k, v in all_groups.items() if k[0].endswith("-train")}
    share_groups = {k: v for k, v in all_groups.items() if is_shared_read_row(k[0])}
    groups = {k: v for k, v in all_groups.items() if not k[0].endswith("-train") and not is_shared_read_row(k[0])}
    summary = summarize(groups)
    guard = fusion_guard(groups, args.guard_tolerance)
    compiles = compile_rows(records)
    md = markdown(ctx, ceiling, groups, summary, guard, args.guard_tolerance, compiles, train_groups, share_groups)
    report = {"context": ctx, "ceiling_gflops": ceiling, "memory_gbps": bandwidth, "rows": rows, "summary": summary,
              "compile_seconds": [dict(zip(("net", "schedule", "pipelines_mode", "seconds", "pipelines"), c)) for c in compiles],
              "fusion_guard": guard[0], "fusion_guard_within_noise": guard[1]}
    try:
        os.makedirs(args.out, exist_ok=True)
        write_atomically(os.path.join(args.out, "report.json"), json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        write_atomically(os.path.join(args.out, "report.md"), md)
        if groups:  # a run of training rows only has no inference bars to draw
            write_atomically(os.path.join(args.out, "report.svg"), svg_chart(ctx, groups))
    except OSError as e:
        print(f"report.py: error: cannot write to {args.out}: {e}", file=sys.stderr)
        return 1
    try:
        import charts  # matplotlib: optional for the report, installed by scripts/install-deps.sh --bench
        for path in charts.write_charts(ctx, groups, ceiling, bandwidth, PEERS, median_standard_error, args.out):
            print(f"report.py: wrote {path}", file=sys.stderr)
    except ImportError as e:
        print(f"report.py: no PNG charts ({e}; scripts/install-deps.sh --bench installs python3-matplotlib)", file=sys.stderr)
    sys.stdout.write(md)
    for g in guard[0]:
        print(f"FUSION GUARD: {label(g['workload'], g['batch'])} fused {fmt(g['fused_ms'])} ms is "
              f"{fmt((g['slowdown'] - 1) * 100)} % slower than unfused {fmt(g['unfused_ms'])} ms "
              f"(tolerance {args.guard_tolerance * 100:g} %, noise ±{fmt(g['noise_ms'])} ms)", file=sys.stderr)
    return 3 if guard[0] else 0


if __name__ == "__main__":
    sys.exit(main())
