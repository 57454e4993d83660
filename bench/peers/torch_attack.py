"""PyTorch peer for bench/suites/attack-throughput.ts: the measured model's architecture (torch_common.build_cnn,
configurable so the bench can mirror the bundled model), in eval mode with frozen parameters (input gradients only),
and the attack API's two measurements: one FGSM step (forward, input gradient of the summed cross-entropy, signed
step, clip) and PGD-k (random start, k projected sign steps of 2.5 eps / k, no early stop, a final scoring forward).
Usage: python3 torch_attack.py '{"threads":2,"batch":128,"pgdSteps":10,"seconds":3}' [--serve]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_common as common  # noqa: E402

cfg = common.config()
threads = int(cfg.get("threads", 2))
batch = int(cfg.get("batch", 128))
pgd_steps = int(cfg.get("pgdSteps", 10))
eps = float(cfg.get("eps", 0.1))
torch = common.setup(threads)
F = torch.nn.functional

model = common.build_cnn(
    torch,
    cfg.get("filters", [16, 32]),
    int(cfg.get("convsPerStage", 1)),
    bool(cfg.get("batchNorm", False)),
    int(cfg.get("dense", 128)),
).eval()
for p in model.parameters():
    p.requires_grad_(False)
x0 = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))


def grad_at(x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(x), y, reduction="sum"), x)
    return g


def fgsm():
    return (x0 + eps * grad_at(x0).sign()).clamp(0, 1)


def pgd():
    alpha = 2.5 * eps / pgd_steps
    x = (x0 + torch.empty_like(x0).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(pgd_steps):
        x = torch.min(torch.max(x + alpha * grad_at(x).sign(), x0 - eps), x0 + eps).clamp(0, 1)
    with torch.no_grad():
        model(x).argmax(1)
    return x


common.main({"fgsm": fgsm, "pgd": pgd}, {"torch": torch.__version__, "threads": threads, "batch": batch}, float(cfg.get("seconds", 3)), batch)
