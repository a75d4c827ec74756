#!/usr/bin/python3
"""PyTorch side of `midistill-bench conv`: conv2d forward+backward of ResNet-18's shapes, one JSON line.

usage: conv_bench.py BATCH THREADS REPS
Each shape (in, out, size, stride, kernel) is timed in the default layout (NCHW) and channels-last,
REPS timed repetitions after one warm-up; the median is printed in milliseconds.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

SHAPES = [(1, 64, 28, 1, 3), (64, 64, 28, 1, 3), (64, 128, 28, 2, 3), (128, 128, 14, 1, 3), (64, 128, 28, 2, 1),
          (128, 256, 14, 2, 3), (256, 256, 7, 1, 3), (256, 512, 7, 2, 3), (512, 512, 4, 1, 3)]


def time_shape(batch, cin, cout, size, stride, k, reps, channels_last):
    torch.manual_seed(0)
    x = torch.randn(batch, cin, size, size, requires_grad=True)
    w = torch.randn(cout, cin, k, k, requires_grad=True)
    if channels_last:
        x = x.detach().to(memory_format=torch.channels_last).requires_grad_()
        w = w.detach().to(memory_format=torch.channels_last).requires_grad_()

    def step():
        x.grad = None
        w.grad = None
        F.conv2d(x, w, None, stride, k // 2).sum().backward()

    step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    return 1000 * times[len(times) // 2]


def main():
    batch, threads, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    out = {}
    for cin, cout, size, stride, k in SHAPES:
        key = f"{cin}-{cout}@{size}/s{stride}k{k}"
        out[key] = [time_shape(batch, cin, cout, size, stride, k, reps, cl) for cl in (False, True)]
    print(json.dumps({"ms": out, "mkldnn": torch.backends.mkldnn.is_available(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
