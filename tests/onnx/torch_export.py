#!/usr/bin/python3
"""Exports two PyTorch 1.13 models to ONNX (opset 13, dynamic batch axis) for
tests/frontends/onnx_import_test.cpp, with a fixed input and PyTorch's logits.

  /usr/bin/python3 torch_export.py OUTDIR

Writes, per model NAME (keras_lenet5, resnet):
  NAME.onnx        torch.onnx.export output
  NAME.input.bin   float32 input, little-endian
  NAME.logits.bin  float32 logits PyTorch computes on it
  NAME.counts      "<trainable tensors> <buffers>" of the PyTorch model
Run with Debian's interpreter, which sees python3-torch."""
import sys

import torch
from torch import nn


class KerasLeNet5(nn.Module):
    """models/lenet5_keras.pbtxt: conv 20@5x5 same + ReLU, max pool 2,
    conv 50@5x5 same + ReLU, max pool 2, flatten, dense 500 + ReLU, dense 10;
    input [N, 1, 32, 32]."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 20, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(20, 50, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(3200, 500), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(500, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class Block(nn.Module):
    """conv-bn-relu-conv-bn plus a shortcut (1x1 conv + bn when the shape
    changes), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Sequential()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                       nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.short(x))


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU())
        self.block1 = Block(8, 8, 1)
        self.block2 = Block(8, 16, 2)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x):
        return self.head(self.block2(self.block1(self.stem(x))))


def export(model, name, shape, outdir, keep_batch_norm):
    model.eval()
    x = torch.rand(shape) * 2 - 1
    with torch.no_grad():
        y = model(x)
    extra = {}
    if keep_batch_norm:  # keep BatchNormalization nodes (a model to fine-tune)
        extra = dict(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    torch.onnx.export(model, x, f"{outdir}/{name}.onnx", input_names=["image"],
                      output_names=["logits"],
                      dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
                      opset_version=13, **extra)
    x.numpy().astype("<f4").tofile(f"{outdir}/{name}.input.bin")
    y.numpy().astype("<f4").tofile(f"{outdir}/{name}.logits.bin")
    params = sum(1 for _ in model.parameters())
    buffers = sum(1 for n, _ in model.named_buffers() if not n.endswith("num_batches_tracked"))
    with open(f"{outdir}/{name}.counts", "w") as f:
        f.write(f"{params} {buffers}\n")


def main():
    outdir = sys.argv[1]
    torch.manual_seed(0)
    export(KerasLeNet5(), "keras_lenet5", (3, 1, 32, 32), outdir, False)
    net = SmallResNet()
    # Trained-looking statistics for most batch norms; block1.bn2 and the
    # shortcut's bn keep their initial (equal) weights, so the exporter
    # de-duplicates them into Identity nodes.
    for name, m in net.named_modules():
        if isinstance(m, nn.BatchNorm2d) and name not in ("block1.bn2", "block2.short.1"):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
    export(net, "resnet", (3, 3, 16, 16), outdir, True)


if __name__ == "__main__":
    main()
