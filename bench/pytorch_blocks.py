#!/usr/bin/python3
"""PyTorch (Debian's python3-torch) on the benchmark plan's workloads, as a user would run them:
channels_last, no_grad, inference, same thread count as kiln (all hardware threads). Prints one
JSON object per workload: median time of 9 repetitions and GFLOP/s over kiln's nominal MACs.
Run with Debian's interpreter (/usr/bin/python3), which is the one python3-torch installs into."""
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(os.cpu_count())


def block(cin, cout, k, stride, pad, pool_pad):
    # pool 3x3/2 'same' as TensorFlow pads it: nothing before, `pool_pad` after
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=pad)
    return lambda x: F.max_pool2d(F.pad(F.relu(conv(x)), (0, pool_pad, 0, pool_pad), value=float("-inf")), 3, 2)


def model4():
    b1, b2, b3 = block(3, 256, 5, 1, 2, 1), block(256, 128, 5, 1, 2, 1), block(128, 64, 3, 1, 1, 1)
    dense = nn.Linear(4 * 4 * 64, 10)
    return lambda x: F.softmax(dense(torch.flatten(b3(b2(b1(x))), 1)), dim=1)


WORKLOADS = [  # name, batches, input (C, H, W), net, nominal MACs per image (kiln's count)
    ("W1", (1, 128), (3, 24, 24), block(3, 64, 5, 1, 2, 1), 24 * 24 * 64 * 5 * 5 * 3),
    ("W2", (1, 128), (64, 12, 12), block(64, 64, 5, 1, 2, 1), 12 * 12 * 64 * 5 * 5 * 64),
    ("W3", (1, 8), (3, 224, 224), block(3, 64, 7, 2, 3, 1), 112 * 112 * 64 * 7 * 7 * 3),
    ("W4", (1, 8), (64, 56, 56), block(64, 192, 3, 1, 1, 1), 56 * 56 * 192 * 3 * 3 * 64),
    ("W5", (1, 128), (3, 32, 32), model4(),
     32 * 32 * 256 * 75 + 16 * 16 * 128 * 25 * 256 + 8 * 8 * 64 * 9 * 128 + 1024 * 10),
]


def median_seconds(fn, x, min_time=0.2, repetitions=9):
    for _ in range(3):
        fn(x)
    samples = []
    for _ in range(repetitions):
        iterations, start = 0, time.perf_counter()
        while True:
            fn(x)
            iterations += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        samples.append(elapsed / iterations)
    return statistics.median(samples), samples


with torch.no_grad():
    for name, batches, (c, h, w), net, macs in WORKLOADS:
        for n in batches:
            x = torch.rand(n, c, h, w).contiguous(memory_format=torch.channels_last)
            med, samples = median_seconds(net, x)
            print(json.dumps({"name": f"{name}/pytorch/{n}", "median_ms": med * 1e3,
                              "spread_ms": [min(samples) * 1e3, max(samples) * 1e3],
                              "GFLOP/s": 2 * macs * n / med / 1e9, "torch": torch.__version__,
                              "threads": torch.get_num_threads()}), flush=True)
