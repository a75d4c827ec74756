"""PyTorch's side of `midistill-bench loader throughput`: DataLoader + torchvision transforms (PIL decoding).

usage: loader_bench.py <train-folder> <images> <workers> <batch>; prints images/s on its last line.
Run with /usr/bin/python3 and LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (the bench does).
"""
import sys
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def main():
    root, images, workers, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(1)
    torch.manual_seed(workers)
    transform = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    loader = DataLoader(datasets.ImageFolder(root, transform=transform), batch_size=batch, shuffle=True,
                        num_workers=workers, prefetch_factor=2)
    batches = images // batch
    seen = 0
    # The clock starts at the first batch's request, worker start-up included, as MiDistill's does.
    start = time.perf_counter()
    for i, (x, _) in enumerate(loader):
        x.sum().item()
        seen += x.shape[0]
        if i + 1 == batches:
            break
    print(seen / (time.perf_counter() - start))


if __name__ == "__main__":
    main()
