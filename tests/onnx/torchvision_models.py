#!/usr/bin/env python3
"""Real architectures through kiln's ONNX import: torchvision's models (Debian's python3-torchvision,
random weights and batch-norm statistics: nothing is downloaded) exported by torch.onnx.export at 224x224, imported and run
by kiln-import --run (JIT, no compiler), and compared with PyTorch's output. Prints one line per
model: imported and within 1e-4 of PyTorch's largest output, or the importer's reason. Exits 1
when an imported model computes something else (a refusal is information, a wrong answer a bug).

    python3 tests/onnx/torchvision_models.py KILN_IMPORT WORK_DIR [--prepared-weights] [MODEL ...]

--prepared-weights runs each model as a deployed net would, its weights prepared once (packed, and
transformed for the convs whose plans take Winograd's algorithm).
"""
import os
import subprocess
import sys
import time

import onnx
import onnx.numpy_helper
import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from export_models import randomised  # noqa: E402  batch-norm statistics as a trained net has them

MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(),
    "resnet50": lambda: torchvision.models.resnet50(),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(),
    "squeezenet1_0": lambda: torchvision.models.squeezenet1_0(),
    "squeezenet1_1": lambda: torchvision.models.squeezenet1_1(),
    "googlenet": lambda: torchvision.models.googlenet(aux_logits=False, transform_input=False, init_weights=True),
    "alexnet": lambda: torchvision.models.alexnet(),
    "densenet121": lambda: torchvision.models.densenet121(),
    "mnasnet0_5": lambda: torchvision.models.mnasnet0_5(),
    "shufflenet_v2_x0_5": lambda: torchvision.models.shufflenet_v2_x0_5(),
    "efficientnet_b0": lambda: torchvision.models.efficientnet_b0(),
    "mobilenet_v3_small": lambda: torchvision.models.mobilenet_v3_small(),
    "regnet_x_400mf": lambda: torchvision.models.regnet_x_400mf(),
    "regnet_y_400mf": lambda: torchvision.models.regnet_y_400mf(),
    "convnext_tiny": lambda: torchvision.models.convnext_tiny(),
    "shufflenet_v2_x1_0": lambda: torchvision.models.shufflenet_v2_x1_0(),
}


def run(name, importer, work, flags):
    torch.manual_seed(0)
    net = randomised(MODELS[name]()).eval()
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        want = net(x).numpy()
    model = os.path.join(work, name + ".onnx")
    torch.onnx.export(net, x, model, input_names=["image"], output_names=["logits"], opset_version=13)
    for tensor, path in ((x.numpy(), "input.pb"), (want, "want.pb")):
        with open(os.path.join(work, name + "." + path), "wb") as f:
            f.write(onnx.numpy_helper.from_array(tensor).SerializeToString())
    start = time.time()
    result = subprocess.run([importer, model, "--run", os.path.join(work, name + ".input.pb"), "--output",
                             os.path.join(work, name + ".kiln.pb")] + flags, capture_output=True, text=True,
                            env=dict(os.environ, KILN_QUIET="1"))
    seconds = time.time() - start
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "exit %d" % result.returncode
        return True, "not imported: " + reason.replace(model, name + ".onnx")
    got = onnx.numpy_helper.to_array(onnx.load_tensor(os.path.join(work, name + ".kiln.pb")))
    worst = float(abs(got - want).max())
    scale = float(abs(want).max())
    ok = worst <= 1e-4 * scale
    return ok, "imported, compiled and run in %.0f s; max |difference| %.2g of max |output| %.2g (%.2g)%s" % (
        seconds, worst, scale, worst / scale, "" if ok else ": beyond 1e-4")


def main():
    importer, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    flags = [a for a in sys.argv[3:] if a.startswith("--")]
    names = [a for a in sys.argv[3:] if not a.startswith("--")] or list(MODELS)
    failures = 0
    for name in names:
        ok, line = run(name, importer, work, flags)
        failures += not ok
        print("%-20s %s" % (name, line), flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
