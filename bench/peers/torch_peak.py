"""PyTorch peer for bench/suites/simd-roofline.ts: what one native core reaches on a large float32 matrix product
(torch.mm 1024^3 with the given thread count: oneDNN/MKL with AVX-512 FMA here), as GFLOP/s per CPU-second, the
native roof that the wasm SIMD128 peak is compared with.
Usage: python3 torch_peak.py '{"threads":1}'"""
import os
import sys
import json
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_common as common  # noqa: E402

cfg = common.config()
threads = int(cfg.get("threads", 1))
torch = common.setup(threads)
n = int(cfg.get("n", 1024))
a = torch.rand(n, n)
b = torch.rand(n, n)
for _ in range(3):
    torch.mm(a, b)
rates = []
for _ in range(int(cfg.get("repeats", 9))):
    c0 = time.process_time()
    for _ in range(4):
        torch.mm(a, b)
    cpu = time.process_time() - c0
    rates.append(4 * 2 * n**3 / cpu / 1e9)
rates.sort()
print(json.dumps({"torch": torch.__version__, "threads": threads, "n": n, "gflopsMedian": rates[len(rates) // 2], "gflopsMax": rates[-1]}))
