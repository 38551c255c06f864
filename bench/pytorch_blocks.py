#!/usr/bin/python3
"""PyTorch (Debian's python3-torch) on the benchmark plan's workloads, as a user would run them:
channels_last, no_grad, inference, the same thread count as kiln (all hardware threads).

Run by build/bench/schedules_bench (and models_bench, for torchvision's models: export_models.py's
names, with the batch-norm statistics it exports) as a server (`--serve`), so PyTorch's rows are timed in the same
interleaved run as kiln's and oneDNN's. Protocol, one line each way:
  server starts      -> "ready <torch version> <threads>"  or  "error <why>"
  "prepare W1 128"   -> "ok" (net built, input made, 3 warm-up calls) or "error <why>"
  "prepare-train FashionTwoConv 64"
                     -> "ok" (net in training mode, SGD with momentum, random images and labels,
                        3 warm-up steps) or "error <why>"
  "run"              -> seconds taken by one forward call, or one training step (zero_grad,
                        forward, cross-entropy, backward, SGD step) after prepare-train
Use Debian's interpreter (/usr/bin/python3): python3-torch installs into it."""
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    print(f"error PyTorch unavailable ({e}); install Debian's python3-torch", flush=True)
    sys.exit(0)

torch.set_num_threads(os.cpu_count())


def pool_same(x):
    # max-pool 3x3/2 'same' as TensorFlow pads it (and kiln declares it): nothing before, the rest after
    pad_h = max((-(-x.shape[2] // 2) - 1) * 2 + 3 - x.shape[2], 0)
    pad_w = max((-(-x.shape[3] // 2) - 1) * 2 + 3 - x.shape[3], 0)
    return F.max_pool2d(F.pad(x, (0, pad_w, 0, pad_h), value=float("-inf")), 3, 2)


def conv_relu(cin, cout, k, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=(k - 1) // 2), nn.ReLU())


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def block(cin, cout, k, stride=1):
    return nn.Sequential(conv_relu(cin, cout, k, stride), Lambda(pool_same))


class Inception(nn.Module):
    def __init__(self, cin, c1, r3, c3, r5, c5, proj):
        super().__init__()
        self.b1 = conv_relu(cin, c1, 1)
        self.b2 = nn.Sequential(conv_relu(cin, r3, 1), conv_relu(r3, c3, 3))
        self.b3 = nn.Sequential(conv_relu(cin, r5, 1), conv_relu(r5, c5, 5))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv_relu(cin, proj, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def googlenet():  # as examples/nets/googlenet.hpp declares it
    pool = Lambda(pool_same)
    return nn.Sequential(
        conv_relu(3, 64, 7, 2), pool, conv_relu(64, 64, 1), conv_relu(64, 192, 3), pool,
        Inception(192, 64, 96, 128, 16, 32, 32), Inception(256, 128, 128, 192, 32, 96, 64), pool,
        Inception(480, 192, 96, 208, 16, 48, 64), Inception(512, 160, 112, 224, 24, 64, 64),
        Inception(512, 128, 128, 256, 24, 64, 64), Inception(512, 112, 144, 288, 32, 64, 64),
        Inception(528, 256, 160, 320, 32, 128, 128), pool,
        Inception(832, 256, 160, 320, 32, 128, 128), Inception(832, 384, 192, 384, 48, 128, 128),
        nn.AvgPool2d(7), nn.Flatten(), nn.Linear(1024, 1000), nn.Softmax(1))


WORKLOADS = {  # name: (input C, H, W), net builder
    "W1": ((3, 24, 24), lambda: block(3, 64, 5)),
    "W2": ((64, 12, 12), lambda: block(64, 64, 5)),
    "W3": ((3, 224, 224), lambda: block(3, 64, 7, 2)),
    "W4": ((64, 56, 56), lambda: block(64, 192, 3)),
    "W5": ((3, 32, 32), lambda: nn.Sequential(block(3, 256, 5), block(256, 128, 5), block(128, 64, 3),
                                              nn.Flatten(), nn.Linear(4 * 4 * 64, 10), nn.Softmax(1))),
    "GoogLeNet": ((3, 224, 224), googlenet),
    "W6": ((128, 56, 56), lambda: nn.Sequential(
        nn.Conv2d(128, 128, 3, padding=1, groups=128), nn.ReLU(), nn.Conv2d(128, 128, 1), nn.ReLU())),
    "W6dw": ((128, 56, 56), lambda: nn.Sequential(nn.Conv2d(128, 128, 3, padding=1, groups=128), nn.ReLU())),
}




# torchvision's models as bench/export_models.py exports them for models_bench (export_models.py is
# beside this script).
import export_models  # noqa: E402

for _name, _build in export_models.MODELS.items():
    WORKLOADS[_name] = ((3, 224, 224), lambda build=_build: export_models.randomised(build()))

TRAIN_WORKLOADS = {  # name: (input C, H, W), classes, net builder ending in logits (as kiln trains them)
    "FashionTwoConv": ((1, 28, 28), 10, lambda: nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Linear(128, 10))),
    "FashionTwoConvBn": ((1, 28, 28), 10, lambda: nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10))),
    "CIFAR10-model1": ((3, 32, 32), 10, lambda: nn.Sequential(block(3, 64, 5), nn.Flatten(), nn.Linear(16 * 16 * 64, 10))),
}


def train_step(net, optimizer, x, y):
    optimizer.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()


def serve():
    print(f"ready {torch.__version__} {torch.get_num_threads()}", flush=True)
    net = x = y = optimizer = None
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["prepare-train"] and len(words) == 3 and words[1] in TRAIN_WORKLOADS:
            (c, h, w), classes, build = TRAIN_WORKLOADS[words[1]]
            net = build().train().to(memory_format=torch.channels_last)
            optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
            x = torch.rand(int(words[2]), c, h, w).contiguous(memory_format=torch.channels_last)
            y = torch.randint(0, classes, (int(words[2]),))
            with torch.enable_grad():
                for _ in range(3):
                    train_step(net, optimizer, x, y)
            print("ok", flush=True)
        elif words[:1] == ["prepare"] and len(words) == 3 and words[1] in WORKLOADS:
            optimizer = None
            (c, h, w), build = WORKLOADS[words[1]]
            net = build().eval().to(memory_format=torch.channels_last)
            x = torch.rand(int(words[2]), c, h, w).contiguous(memory_format=torch.channels_last)
            for _ in range(3):
                net(x)
            print("ok", flush=True)
        elif words == ["run"] and net is not None:
            start = time.perf_counter()
            if optimizer is None:
                net(x)
            else:
                with torch.enable_grad():
                    train_step(net, optimizer, x, y)
            print(f"{time.perf_counter() - start:.9e}", flush=True)
        else:
            print(f"error unknown request '{line.strip()}'", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] != ["--serve"]:
        sys.exit("usage: pytorch_blocks.py --serve   (started by build/bench/schedules_bench)")
    with torch.no_grad():
        serve()
