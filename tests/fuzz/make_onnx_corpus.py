#!/usr/bin/python3
"""Seeds for the ONNX importer's fuzzer (tests/fuzz/onnx_fuzz.cpp) shaped like real exports: small
nets (16x16 inputs, 8-32 channels) built from the blocks of torchvision's architectures and exported
by torch.onnx.export with batch norm, as a user's model arrives. Each is one file in OUT_DIR.
Needs PyTorch (Debian's python3-torch); scripts/fuzz.sh --make-corpus runs it when present.

    /usr/bin/python3 tests/fuzz/make_onnx_corpus.py OUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn


def cbr(cin, cout, k=3, stride=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)


class RegNetBlock(nn.Module):
    """RegNetX's block: the Add reads the projection first; the 3x3 is grouped."""

    def __init__(self, cin, cout, stride, group_width):
        super().__init__()
        self.proj = cbr(cin, cout, 1, stride, act=None)
        self.f = nn.Sequential(cbr(cin, cout, 1), cbr(cout, cout, 3, stride, cout // group_width), cbr(cout, cout, 1, act=None))

    def forward(self, x):
        return torch.relu(self.proj(x) + self.f(x))


class BasicBlock(nn.Module):
    """ResNet's: the body first, the identity second."""

    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(cbr(c, c), cbr(c, c, act=None))

    def forward(self, x):
        return torch.relu(self.body(x) + x)


class InvertedResidual(nn.Module):
    """MobileNetV2's: ReLU6 (Clip), depthwise 3x3, linear projection, identity Add."""

    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.conv = nn.Sequential(cbr(c, h, 1, act=nn.ReLU6), cbr(h, h, 3, groups=h, act=nn.ReLU6), cbr(h, c, 1, act=None))

    def forward(self, x):
        return x + self.conv(x)


class Inception(nn.Module):
    """GoogLeNet's module: four branches, one a max pool, joined by Concat."""

    def __init__(self, cin):
        super().__init__()
        self.b1 = cbr(cin, 8, 1)
        self.b2 = nn.Sequential(cbr(cin, 4, 1), cbr(4, 8, 3))
        self.b3 = nn.Sequential(cbr(cin, 4, 1), cbr(4, 8, 5))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), cbr(cin, 8, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class Shared(nn.Module):
    """One conv applied twice: its weights shared by two nodes."""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(torch.relu(self.conv(x)))


class MBConv(nn.Module):
    """EfficientNet's block: SiLU (Sigmoid * x), depthwise, squeeze-excitation (a Mul by a branch of
    the block's input), identity Add."""

    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.expand = cbr(c, h, 1, act=nn.SiLU)
        self.dw = cbr(h, h, 3, groups=h, act=nn.SiLU)
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(h, max(1, c // 4), 1), nn.SiLU(), nn.Conv2d(max(1, c // 4), h, 1),
                                nn.Sigmoid())
        self.project = cbr(h, c, 1, act=None)

    def forward(self, x):
        y = self.dw(self.expand(x))
        return x + self.project(y * self.se(y))


class ShuffleUnit(nn.Module):
    """ShuffleNetV2's unit: chunk (Slices with bounds from Shape arithmetic), Concat, and the
    Reshape -> Transpose -> Reshape shuffle."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.branch = nn.Sequential(cbr(h, h, 1), cbr(h, h, 3, groups=h, act=None), cbr(h, h, 1))

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        y = torch.cat((a, self.branch(b)), 1)
        n, c, hh, ww = y.size()
        return y.view(n, 2, c // 2, hh, ww).transpose(1, 2).contiguous().view(n, -1, hh, ww)


class SplitUnit(nn.Module):
    """Channels split by torch.split into unequal parts (one Split node), read in another order by
    the Concat."""

    def __init__(self, c):
        super().__init__()
        self.sizes = (c // 4, c - c // 4)
        self.branch = nn.Sequential(cbr(self.sizes[1], self.sizes[1], 1), cbr(self.sizes[1], self.sizes[1], 3, groups=self.sizes[1], act=None))

    def forward(self, x):
        a, b = torch.split(x, self.sizes, dim=1)
        return torch.cat((self.branch(b), a), 1)


class ConvNeXtBlock(nn.Module):
    """ConvNeXt's block: Transposes to channels-last and back, layer norm and GELU as their exported
    patterns, Linear on channels, a layer scale."""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.up, self.down = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
        self.scale = nn.Parameter(torch.full((c, 1, 1), 0.5))

    def forward(self, x):
        y = self.down(nn.functional.gelu(self.up(self.norm(self.dw(x).permute(0, 2, 3, 1))))).permute(0, 3, 1, 2)
        return x + self.scale * y


def head(c, classes=10):
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes))


MODELS = {
    "regnet_stages": lambda: nn.Sequential(cbr(3, 8, 3, 2), RegNetBlock(8, 16, 2, 8), RegNetBlock(16, 32, 2, 8), head(32)),
    "resnet_basic": lambda: nn.Sequential(cbr(3, 8), nn.MaxPool2d(3, 2, 1), BasicBlock(8), BasicBlock(8), head(8)),
    "mobilenet_inverted": lambda: nn.Sequential(cbr(3, 8, 3, 2, act=nn.ReLU6), InvertedResidual(8, 4), InvertedResidual(8, 6), head(8)),
    "inception_concat": lambda: nn.Sequential(cbr(3, 8), Inception(8), nn.AvgPool2d(2), head(32)),
    "shared_weights": lambda: nn.Sequential(cbr(3, 8), Shared(8), head(8)),
    "efficientnet_mbconv": lambda: nn.Sequential(cbr(3, 8, 3, 2, act=nn.Hardswish), MBConv(8, 4), head(8)),
    "convnext_block": lambda: nn.Sequential(nn.Conv2d(3, 8, 4, 4), ConvNeXtBlock(8), head(8)),
    "shufflenet_units": lambda: nn.Sequential(cbr(3, 16, 3, 2), ShuffleUnit(16), ShuffleUnit(16), head(16)),
    "split_units": lambda: nn.Sequential(cbr(3, 16, 3, 2), SplitUnit(16), SplitUnit(16), head(16)),
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, build in MODELS.items():
        torch.manual_seed(0)
        net = build().eval()
        for m in net.modules():  # statistics as a trained net has them, so folding is not the identity
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
        path = os.path.join(out, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(net, torch.rand(1, 3, 16, 16), path + ".partial", input_names=["image"], output_names=["logits"],
                              opset_version=13)
        os.replace(path + ".partial", path)
        print(f"make_onnx_corpus.py: {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
