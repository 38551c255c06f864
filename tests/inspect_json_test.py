#!/usr/bin/env python3
"""kiln-inspect --json --profile --out on W1 (CTest example.inspect_json): stdout is one JSON
document and nothing else, the files written are named on stderr, and the figures are W1's, computed
here independently: conv 5x5x3 -> 64 on 24x24 "same" is 24*24*64*5*5*3 MACs; the fused block reads
its input and learned tensors once and writes the 12x12x64 pooled output once."""
import json
import subprocess
import sys
import tempfile

inspect = sys.argv[1]
with tempfile.TemporaryDirectory() as out:
    run = subprocess.run([inspect, "w1", "--schedule", "fused", "--json", "--profile", "--out", out],
                         capture_output=True, text=True, check=True)
    doc = json.loads(run.stdout)  # fails if anything else is mixed into stdout
    assert f"wrote {out}/w1.fused.dot" in run.stderr, run.stderr
    assert "step 3 of 3" in run.stderr, run.stderr
    dot = open(f"{out}/w1.fused.dot").read()

macs = 24 * 24 * 64 * 5 * 5 * 3
layers = {l["name"]: l for l in doc["layers"]}
assert list(layers) == ["l1_conv", "l2_activation", "l3_pool"], list(layers)
assert layers["l1_conv"]["macs"] == macs and layers["l1_conv"]["flops"] == 2 * macs
assert layers["l1_conv"]["output"] == [24, 24, 64] and layers["l3_pool"]["output"] == [12, 12, 64]
assert layers["l1_conv"]["placement"].startswith("inside "), layers["l1_conv"]
assert layers["l3_pool"]["placement"].startswith("stored"), layers["l3_pool"]
[block] = doc["stored_blocks"]
assert block["layers"] == ["l1_conv", "l2_activation", "l3_pool"]
read = 4 * (24 * 24 * 3 + 5 * 5 * 3 * 64 + 64)
written = 4 * 12 * 12 * 64
assert block["flops"] == 2 * macs and block["bytes_read"] == read and block["bytes_written"] == written, block
assert abs(block["flop_per_byte"] - 2 * macs / (read + written)) < 1e-9
assert doc["schedule"] == "fused" and doc["batch"] == 1 and doc["plans"], doc["plans"]
profile = doc["profile"]
assert profile["batch"] >= 1
conv_ms = sum(s["ms"] for s in profile["stages"] if s["layer"] == "l1_conv")
assert conv_ms > 0 and layers["l1_conv"]["profiled_ms"] == conv_ms, profile
# The picture: declared names, the fused block as a cluster with its figures, profiled times.
assert 'subgraph cluster_0' in dot and "fused into l3_pool" in dot, dot
assert f"{2 * macs / 1e6:.2f} MFLOP" in dot and f"{read / 1024:.1f} KiB in" in dot, dot
assert " ms\"" in dot and "times profiled at batch" in dot, dot
print("kiln-inspect --json: W1's layers, block traffic, profile and picture as expected")

# A net JIT-compiled in several segments (TF CIFAR-10: two conv groups, LRNs, dense layers): the
# profile must name every conv and dense layer (segments name their layers afresh, so a profile
# taken per segment once credited l5_conv's time to l1_conv).
run = subprocess.run([inspect, "tf-cifar10", "--json", "--profile"], capture_output=True, text=True, check=True)
doc = json.loads(run.stdout)
for layer in doc["layers"]:
    if layer["kind"] in ("conv", "dense"):
        assert "profiled_ms" in layer, (layer["name"], doc["profile"])
print("kiln-inspect --profile on a net of several segments: every conv and dense layer profiled")
