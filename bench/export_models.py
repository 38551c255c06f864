#!/usr/bin/env python3
"""The real models of the model benchmark (bench/models_bench.cpp): torchvision's architectures with
random weights (nothing is downloaded), their batch-norm statistics and affine parameters randomised
so that folding them is exercised, exported by torch.onnx.export at 224x224 with a free batch axis,
one OUT_DIR/<name>.onnx each. A model already exported is kept (delete it to export again).

    /usr/bin/python3 bench/export_models.py OUT_DIR [MODEL ...]
"""
import os
import sys

import torch
import torchvision

MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(),
    "resnet50": lambda: torchvision.models.resnet50(),
    "resnext50_32x4d": lambda: torchvision.models.resnext50_32x4d(),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(),
    "mnasnet1_0": lambda: torchvision.models.mnasnet1_0(),
    "googlenet": lambda: torchvision.models.googlenet(aux_logits=False, transform_input=False, init_weights=True),
    "squeezenet1_1": lambda: torchvision.models.squeezenet1_1(),
    "densenet121": lambda: torchvision.models.densenet121(),
    "efficientnet_b0": lambda: torchvision.models.efficientnet_b0(),
    "mobilenet_v3_small": lambda: torchvision.models.mobilenet_v3_small(),
    "regnet_y_400mf": lambda: torchvision.models.regnet_y_400mf(),
    "shufflenet_v2_x1_0": lambda: torchvision.models.shufflenet_v2_x1_0(),
    "convnext_tiny": lambda: torchvision.models.convnext_tiny(),
}


def randomised(net):
    """Batch-norm statistics as a trained net has them, not the identity a fresh one holds."""
    generator = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)
    return net


def export(name, out):
    path = os.path.join(out, name + ".onnx")
    if os.path.exists(path):
        return path, "kept"
    torch.manual_seed(0)
    net = randomised(MODELS[name]()).eval()
    x = torch.rand(1, 3, 224, 224)
    partial = path + ".partial"  # a killed export leaves no model that looks whole
    with torch.no_grad():
        torch.onnx.export(net, x, partial, input_names=["image"], output_names=["logits"], opset_version=13,
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    os.replace(partial, path)
    return path, "exported"


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__.strip())
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit("export_models.py: unknown model(s) %s; known: %s" % (", ".join(unknown), ", ".join(MODELS)))
    os.makedirs(out, exist_ok=True)
    for i, name in enumerate(names):
        path, what = export(name, out)
        print("export_models.py: %d of %d: %s %s" % (i + 1, len(names), path, what), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
