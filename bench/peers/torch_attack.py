"""PyTorch peer for bench/suites/attack-throughput.ts: the same CNN as gradopt's buildCnn() (two 3x3 conv blocks of
32 and two of 64 channels, conv -> batch norm -> relu, max-pool after each pair, dense 128 -> relu -> dense 10 logits,
'same' padding), in eval mode, batch 128, and the same two measurements: one FGSM step (forward, input gradient of the
summed cross-entropy, signed step, clip) and PGD-10. The architecture is configurable (filters per stage, convs per
stage, batch norm, dense width) so the bench can mirror whichever model it measures (random start, 10 projected sign steps, no early stop).
Images per second = batch / best wall time.
Usage: python3 torch_attack.py '{"threads":2,"batch":128,"pgdSteps":10,"seconds":3}'  -> one JSON line on stdout."""
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
convs = int(cfg.get("convsPerStage", 2))
batch_norm = bool(cfg.get("batchNorm", True))
dense = int(cfg.get("dense", 128))
torch.set_num_threads(threads)
torch.manual_seed(0)


def build():
    layers, cin = [], 1
    for f in filters:
        for _ in range(convs):
            layers.append(nn.Conv2d(cin, f, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(f, eps=1e-5))
            layers.append(nn.ReLU())
            cin = f
        layers.append(nn.MaxPool2d(2))
    side = 28 // (2 ** len(filters))
    layers += [nn.Flatten(), nn.Linear(cin * side * side, dense), nn.ReLU(), nn.Linear(dense, 10)]
    return nn.Sequential(*layers)


model = build().eval()
for p in model.parameters():
    p.requires_grad_(False)  # input gradients only, as an attack needs
x0 = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))
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


def grad_at(x):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    (g,) = torch.autograd.grad(loss, x)
    return g


def fgsm():
    g = grad_at(x0)
    return (x0 + eps * g.sign()).clamp(0, 1)


def pgd():
    alpha = 2.5 * eps / pgd_steps
    x = (x0 + torch.empty_like(x0).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(pgd_steps):
        g = grad_at(x)
        x = torch.min(torch.max(x + alpha * g.sign(), x0 - eps), x0 + eps).clamp(0, 1)
    with torch.no_grad():
        model(x).argmax(1)  # the final check gradopt also does
    return x


print(json.dumps({
    "torch": torch.__version__,
    "threads": threads,
    "batch": batch,
    "fgsmImagesPerSecond": rate(fgsm, batch),
    "pgdImagesPerSecond": rate(pgd, batch),
    "pgdSteps": pgd_steps,
}))
