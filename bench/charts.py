"""The benchmark report's pictures, as PNG (matplotlib, Debian's python3-matplotlib; report.py
calls write_charts and goes on without pictures when matplotlib is missing):

  report-speedup.png   kiln `fused` over each peer per workload (> 1: kiln is faster), with error
                       bars from the run's spread, each bar labelled with its value;
  report-roofline.png  GFLOP/s against FLOP/byte (memory traffic at the root level, the bytes
                       kiln-inspect counts) for the fused and unfused rows, under the machine's
                       measured FMA ceiling and memory bandwidth, each point labelled.
"""
import math
import os
import tempfile

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

PEER_COLOURS = {"onednn": "#1f78b4", "pytorch": "#e7298a"}
IMPL_COLOURS = {"fused": "#d95f02", "unfused": "#fdb863"}



def save_atomically(fig, path):
    """The figure saved beside `path` and renamed over it, so an interrupted run leaves the last chart whole."""
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".png", dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        fig.savefig(temporary, dpi=110, format="png")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise

def _label(workload, batch):
    return workload if batch is None else f"{workload} b{batch}"


def _ratio_error(f_row, p_row, standard_error):
    """One standard error of fused/peer speed (peer median / fused median), from both rows' spread."""
    se_f, se_p = standard_error(f_row), standard_error(p_row)
    if se_f is None or se_p is None:
        return 0.0
    ratio = p_row["median_ms"] / f_row["median_ms"]
    return ratio * math.hypot(se_f / f_row["median_ms"], se_p / p_row["median_ms"])


def speedup_chart(ctx, groups, peers, standard_error, path):
    rows = []  # (label, {peer: (ratio, error)})
    for (w, b), impls in groups.items():
        fused = impls.get("fused", {})
        if not fused.get("median_ms"):
            continue
        found = {}
        for peer in peers:
            p_row = impls.get(peer, {})
            if p_row.get("median_ms"):
                found[peer] = (p_row["median_ms"] / fused["median_ms"], _ratio_error(fused, p_row, standard_error))
        if found:
            rows.append((_label(w, b), found))
    if not rows:
        return None
    present = [p for p in peers if any(p in r[1] for r in rows)]
    height = 0.8 / len(present)
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.45 * len(rows) * len(present)))
    top = 1.0
    for i, (name, found) in enumerate(rows):
        for j, peer in enumerate(present):
            if peer not in found:
                continue
            ratio, err = found[peer]
            y = i + (j - (len(present) - 1) / 2) * height
            ax.barh(y, ratio, height=height * 0.9, xerr=err, color=PEER_COLOURS.get(peer, "#777777"), ecolor="#333333",
                    capsize=3, label=peers[peer] if i == 0 or all(peer not in r[1] for r in rows[:i]) else None)
            ax.text(ratio + err + 0.02, y, f"{ratio:.2f}×", va="center", fontsize=9)
            top = max(top, ratio + err)
    ax.axvline(1.0, color="#333333", linewidth=1)
    ax.text(1.0, len(rows) - 0.45, " as fast as the peer", fontsize=8, color="#333333", va="top")
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15 + 0.1)
    ax.set_xlabel("kiln fused speed ÷ peer's (> 1: kiln is faster); bars: ± 1 standard error of the medians")
    ax.set_title(f"kiln fused vs peers, per workload\n{ctx.get('cpu', 'unknown CPU')} · {ctx.get('threads', '?')} threads · "
                 f"{ctx.get('date', '')}", fontsize=10)
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    fig.tight_layout()
    save_atomically(fig, path)
    plt.close(fig)
    return path


def roofline_chart(ctx, groups, ceiling, bandwidth, path):
    points = []  # (impl, label, intensity, gflops)
    for (w, b), impls in groups.items():
        for impl in ("fused", "unfused"):
            row = impls.get(impl, {})
            if not (row.get("gflops") and row.get("median_ms") and row.get("mib_moved")):
                continue
            flops = row["gflops"] * 1e9 * row["median_ms"] / 1e3
            points.append((impl, _label(w, b), flops / (row["mib_moved"] * 2 ** 20), row["gflops"]))
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(10, 6.5))
    xs = [p[2] for p in points]
    x_lo, x_hi = min(xs) / 2, max(xs) * 2
    if ceiling:
        ax.axhline(ceiling, color="#333333", linewidth=1.5)
        ax.text(x_lo * 1.05, ceiling * 1.05, f"FMA ceiling {ceiling:.0f} GFLOP/s (measured)", fontsize=9)
    if bandwidth:
        ridge = ceiling / bandwidth if ceiling else x_hi
        line_x = [x_lo, min(x_hi, ridge)]
        ax.plot(line_x, [bandwidth * x for x in line_x], color="#333333", linewidth=1.5)
        ax.text(x_lo * 1.05, bandwidth * x_lo * 1.3, f"memory {bandwidth:.1f} GB/s (measured triad)", fontsize=9, rotation=0)
    for impl in ("fused", "unfused"):
        mine = [p for p in points if p[0] == impl]
        ax.scatter([p[2] for p in mine], [p[3] for p in mine], s=40, color=IMPL_COLOURS[impl], edgecolor="#333333",
                   label=f"kiln {impl}", zorder=3)
        for _, name, x, y in mine:
            ax.annotate(f"{name} {y:.0f}", (x, y), textcoords="offset points", xytext=(5, 4 if impl == "fused" else -11),
                        fontsize=8, color="#222222")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    ys = [p[3] for p in points] + ([ceiling] if ceiling else [])
    y_lo, y_hi = min(ys) / 1.5, max(ys) * 1.3
    ax.set_ylim(y_lo, y_hi)
    ax.set_yticks([v for v in (10, 20, 50, 100, 150, 200, 300, 400, 500, 700, 1000, 1500, 2000, 3000, 5000) if y_lo <= v <= y_hi])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("arithmetic intensity: FLOP per byte moved to and from memory (root-level traffic)")
    ax.set_ylabel("GFLOP/s (nominal FLOPs)")
    missing = "" if bandwidth else " (memory bandwidth not measured in this run)"
    ax.set_title(f"Roofline: kiln fused and unfused blocks{missing}\n{ctx.get('cpu', 'unknown CPU')} · "
                 f"{ctx.get('threads', '?')} threads · {ctx.get('date', '')}", fontsize=10)
    ax.grid(which="both", color="#eeeeee")
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    save_atomically(fig, path)
    plt.close(fig)
    return path


def write_charts(ctx, groups, ceiling, bandwidth, peers, standard_error, out_dir):
    """Writes both pictures into out_dir; returns the paths written."""
    written = [speedup_chart(ctx, groups, peers, standard_error, os.path.join(out_dir, "report-speedup.png")),
               roofline_chart(ctx, groups, ceiling, bandwidth, os.path.join(out_dir, "report-roofline.png"))]
    return [p for p in written if p]
