"""PyTorch peer for bench/suites/train-throughput.ts: gradopt's buildCnn() architecture (see torch_common.build_cnn),
the same batch and the same four tasks, each doing what gradopt's side does:
- infer: logits and argmax, no gradient;
- train: one Adam step on the mean cross-entropy (train mode);
- fgsm: FGSM with random start (x + U(-eps, eps), one signed step of 1.25 eps, projection to the eps-ball and [0, 1])
  and the scoring forward pass on the result, as ModelWorkerPool.attack and adversarial training do;
- pgd: PGD-k from a random start (step 2.5 eps / k, no early stop) and the scoring forward pass.
Usage: python3 torch_train.py '{"threads":2,"batch":128,"pgdSteps":10,"seconds":2}' [--serve]"""
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
)
x = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def infer():
    model.eval()
    with torch.no_grad():
        model(x).argmax(1)


def train_step():
    model.train()
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()


def attack(steps, step_size):
    model.eval()
    lower, upper = (x - eps).clamp(0, 1), (x + eps).clamp(0, 1)
    xa = torch.min(torch.max(x + torch.empty_like(x).uniform_(-eps, eps), lower), upper)
    for _ in range(steps):
        xa.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(xa), y), xa)
        xa = torch.min(torch.max(xa.detach() + step_size * g.sign(), lower), upper)
    with torch.no_grad():
        model(xa).argmax(1)


tasks = {
    "infer": infer,
    "train": train_step,
    "fgsm": lambda: attack(1, 1.25 * eps),
    "pgd": lambda: attack(pgd_steps, 2.5 * eps / pgd_steps),
}
common.main(tasks, {"torch": torch.__version__, "threads": threads, "batch": batch}, float(cfg.get("seconds", 2)), batch)
