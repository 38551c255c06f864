#!/usr/bin/env python3
"""A small CNN defined in PyTorch and exported with torch.onnx.export: the end-to-end case of kiln's
ONNX import (CTest onnx.end_to_end builds it with kiln_add_onnx_net and compares the AOT kernel's
output with PyTorch's). Writes OUT_DIR/small_cnn.onnx, small_cnn.input.pb and small_cnn.output.pb
(PyTorch's output for that input). The committed files came from this script with PyTorch 1.13
(Debian's python3-torch) and python3-onnx 1.12; scripts/bench.sh re-runs it, so a newer exporter
is checked too.

    python3 tests/onnx/make_small_cnn.py OUT_DIR
    python3 tests/onnx/make_small_cnn.py --compare GOT.pb WANT.pb   (exit 1 beyond 1e-4 of max |WANT|)
"""
import sys

import onnx
import onnx.numpy_helper
import torch
from torch import nn


class Inception(nn.Module):
    """Two branches from one tensor, joined along channels."""

    def __init__(self, c):
        super().__init__()
        self.a = nn.Conv2d(c, 8, 1)
        self.b = nn.Sequential(nn.Conv2d(c, 4, 1), nn.ReLU(), nn.Conv2d(4, 8, 3, padding=1))

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], 1)


class Residual(nn.Module):
    """ResNet's basic block with an identity shortcut."""

    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x):
        return torch.relu(self.body(x) + x)


class SqueezeExcite(nn.Module):
    """MobileNetV3's channel gate: the block's input times a per-channel hard sigmoid of its pooled
    channels, squeezed and expanded by 1x1 convs."""

    def __init__(self, c, squeezed):
        super().__init__()
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, squeezed, 1), nn.ReLU(), nn.Conv2d(squeezed, c, 1),
                                   nn.Hardsigmoid())

    def forward(self, x):
        return self.scale(x) * x


class ConvNeXtBlock(nn.Module):
    """ConvNeXt's block as torchvision writes it: depthwise 7x7, then channels-last layer norm,
    Linear up, GELU, Linear down (between Transposes), a layer scale, the input added."""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.up, self.down = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
        self.scale = nn.Parameter(torch.rand(c, 1, 1) + 0.5)

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.down(nn.functional.gelu(self.up(self.norm(y)))).permute(0, 3, 1, 2)
        return x + self.scale * y


class ShuffleUnit(nn.Module):
    """ShuffleNetV2's unit: half the channels passed through, half filtered (chunk: Slices whose bounds
    the exporter computes from Shape), concatenated, then shuffled (Reshape -> Transpose -> Reshape)."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.branch = nn.Sequential(nn.Conv2d(h, h, 1), nn.ReLU(), nn.Conv2d(h, h, 3, padding=1, groups=h), nn.Conv2d(h, h, 1), nn.ReLU())

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        y = torch.cat((a, self.branch(b)), 1)
        n, c, h, w = y.size()
        return y.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=1, padding=1), nn.BatchNorm2d(16), nn.SiLU(),  # Sigmoid * x at opset 13
            nn.MaxPool2d(2),                                        # 8x8
            Residual(16),
            Inception(16),                                          # 16 channels
            nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.ReLU6(),  # depthwise, MobileNet's ReLU6
            SqueezeExcite(16, 4),
            nn.AvgPool2d(2),                                        # 4x4
            ConvNeXtBlock(16),
            ShuffleUnit(16),
            nn.Conv2d(16, 24, 3, stride=2, padding=1), nn.LeakyReLU(0.1),  # 2x2
            nn.Conv2d(24, 24, 1), nn.Hardswish())                   # HardSigmoid * x at opset 13
        self.classifier = nn.Sequential(nn.Dropout(0.25), nn.Linear(24 * 2 * 2, 10))

    def forward(self, x):
        return torch.log_softmax(self.classifier(torch.flatten(self.features(x), 1)), 1)


def compare(got_path, want_path):
    got, want = (onnx.numpy_helper.to_array(onnx.load_tensor(p)) for p in (got_path, want_path))
    if got.shape != want.shape:
        print(f"shapes differ: {got.shape} against {want.shape}")
        return 1
    worst = float(abs(got - want).max())
    scale = float(abs(want).max())
    print(f"kiln against PyTorch {torch.__version__}: max |difference| {worst:.3g}, {worst / scale:.3g} of max |output| (limit 1e-4)")
    return 0 if worst <= 1e-4 * scale else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    torch.manual_seed(15)
    net = SmallCnn()
    for m in net.modules():  # non-trivial running statistics, so batch norm computes something
        if isinstance(m, nn.LayerNorm):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    net.eval()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        y = net(x)
    torch.onnx.export(net, x, f"{out}/small_cnn.onnx", input_names=["image"], output_names=["log_probs"],
                      dynamic_axes={"image": {0: "batch"}, "log_probs": {0: "batch"}}, opset_version=13)
    for name, value in (("input", x), ("output", y)):
        tensor = onnx.numpy_helper.from_array(value.numpy(), name)
        with open(f"{out}/small_cnn.{name}.pb", "wb") as f:
            f.write(tensor.SerializeToString())
    print(f"wrote {out}/small_cnn.onnx and its input and PyTorch {torch.__version__}'s output {list(y.shape)}")


if __name__ == "__main__":
    main()
