"""PyTorch peer for bench/suites/train-throughput.ts: the same CNN as gradopt's buildCnn() (conv3x3x32-relu-maxpool-
conv3x3x64-relu-maxpool-dense128-relu-dense10 logits, 'same' padding), the same batch, images per second for
inference, one training step (Adam), one FGSM step (input gradient + signed step) and a PGD-k attack.
Usage: python3 torch_train.py '{"threads":2,"batch":128,"pgdSteps":10,"seconds":3}'  -> one JSON line on stdout."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
threads = int(cfg.get("threads", 2))
batch = int(cfg.get("batch", 128))
pgd_steps = int(cfg.get("pgdSteps", 10))
budget = float(cfg.get("seconds", 3))
filters = cfg.get("filters", [32, 64])
convs = int(cfg.get("convsPerStage", 1))
dense = int(cfg.get("dense", 128))
torch.set_num_threads(threads)
torch.manual_seed(0)


def build():
    layers, cin = [], 1
    for f in filters:
        for _ in range(convs):
            layers += [nn.Conv2d(cin, f, 3, padding=1), nn.ReLU()]
            cin = f
        layers.append(nn.MaxPool2d(2))
    side = 28 // (2 ** len(filters))
    layers += [nn.Flatten(), nn.Linear(cin * side * side, dense), nn.ReLU(), nn.Linear(dense, 10)]
    return nn.Sequential(*layers)


model = build()
x = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
eps = 0.1


def rate(fn, images_per_call):
    fn()  # warm-up
    best = float("inf")
    calls, start = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    return images_per_call / best


def infer():
    with torch.no_grad():
        model(x).argmax(1)


def train_step():
    model.train()
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()


def fgsm_step():
    model.eval()
    xa = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xa), y), xa)
    (x + eps * g.sign()).clamp_(0, 1)


def pgd():
    model.eval()
    step = 2.5 * eps / pgd_steps
    xa = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(pgd_steps):
        xa.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(xa), y), xa)
        xa = torch.min(torch.max(xa.detach() + step * g.sign(), x - eps), x + eps).clamp(0, 1)
    model(xa).argmax(1)


out = {
    "torch": torch.__version__,
    "threads": threads,
    "batch": batch,
    "inferImagesPerSec": rate(infer, batch),
    "trainImagesPerSec": rate(train_step, batch),
    "fgsmImagesPerSec": rate(fgsm_step, batch),
    "pgdSteps": pgd_steps,
    "pgdImagesPerSec": rate(pgd, batch),
}
print(json.dumps(out))
