#!/usr/bin/python3
"""PyTorch side of the benchmark: times forward+backward of one model, prints one JSON line.

usage: torch_bench.py MODEL BATCH STEPS THREADS [channels_last]
Models are built exactly as MiDistill builds them (tools/reference/make_fixtures.py for the ViT,
small CNN and EfficientNetV2-B0, torchvision for ResNet-18 and MobileNetV2), so both sides run the same graph.
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "reference"))
import make_fixtures as ref  # noqa: E402

VITS = {  # name: (image, patch, dim, depth, heads)
    "vit_tiny_patch16_224": (224, 16, 192, 12, 3),
    "vit_small_patch16_224": (224, 16, 384, 12, 6),
    "tiny_28": (28, 4, 64, 4, 4),
}


def build(name):
    if name in VITS:
        image, patch, dim, depth, heads = VITS[name]
        ratio = 2 if name == "tiny_28" else 4
        chans = 1 if name == "tiny_28" else 3
        return ref.VisionTransformer(image, patch, chans, dim, depth, heads, ratio, 10), (chans, image)
    if name == "resnet18":
        m = torchvision.models.resnet18(num_classes=10)
        m.conv1 = nn.Conv2d(1, 64, 3, 1, 1, bias=False)
        m.maxpool = nn.Identity()
        return m, (1, 28)
    if name == "mobilenet_v2":
        m = torchvision.models.MobileNetV2(num_classes=10, width_mult=1.0)
        m.features[0][0] = nn.Conv2d(1, 32, 3, 1, 1, bias=False)
        return m, (1, 28)
    if name == "efficientnetv2_b0":
        return ref.EfficientNetV2(1.0, 1, 10, stem_stride=1), (1, 28)
    if name == "cnn_small":
        return ref.SmallCnn(16, 1, 10), (1, 28)
    raise SystemExit(f"unknown model {name}")


def main():
    name, batch, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, (chans, image) = build(name)
    model.train()
    x = torch.randn(batch, chans, image, image)
    if len(sys.argv) > 5 and sys.argv[5] == "channels_last":
        x = x.to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    print(json.dumps({"images_per_s": batch * steps / elapsed, "forward_flops": forward_flops(model, chans, image), "torch": torch.__version__}))


def forward_flops(model, chans, image):
    """2 x multiply-adds of every Conv2d and Linear for one image (hooks see each call)."""
    macs = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            macs[0] += out.numel() * m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
        else:
            macs[0] += out.numel() * m.weight.shape[1]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.randn(1, chans, image, image))
    for h in handles:
        h.remove()
    return 2 * macs[0]


if __name__ == "__main__":
    main()
