#!/usr/bin/env python3
"""CLIPTensor's kernels beside numpy (OpenBLAS) and PyTorch, in one run (`make bench`).

For each workload, rounds of our binary and of the peer alternate, so machine noise hits both; the
best round of each is compared. GEMM shapes are written M×K×N: (M×K)·(K×N), 2·M·N·K FLOPs.

    python3 Benchmarks/kernels.py --binary .build/release/clip-kernel-bench [--rounds 10] [--seconds 0.15] [--threads 2]

These machines are shared: the same binary varies by up to 2× between moments, so many short
alternating rounds are compared: the best round of each side, and the median over rounds of the
ratio between the two sides' adjacent rounds (robust to the machine's slow moments). Never compare
numbers from separate runs. Each
round starts after a pause (`--pause`, 0.3 s): OpenBLAS worker threads spin for about 0.1 s after a
call, and without the pause the side measured second shares its cores with the first side's spinning
threads (measured: 77×512×2048 at 77–124 GFLOP/s right after numpy, 147–165 after a pause).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

GEMM_SHAPES = [(50, 768, 2304), (50, 768, 3072), (1600, 768, 3072), (77, 512, 2048), (2048, 2048, 2048)]
# Inference linear layers with few rows (x [M, K] · weight [N, K]ᵀ): one image, a short text.
LINEAR_SHAPES = [(50, 768, 2304), (50, 768, 3072), (50, 3072, 768), (10, 512, 2048)]
KERNELS = [("softmax", 19200, 50), ("layernorm", 1600, 768), ("gelu", 1600, 3072), ("quickgelu", 1600, 3072)]


def best_seconds(fn, seconds_per_round):
    fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds_per_round:
            return elapsed / calls


class Ours:
    """Our benchmark binary kept running (`serve` mode), so rounds alternate without process starts."""

    def __init__(self, binary, threads, seconds):
        env = dict(os.environ, CLIP_NUM_THREADS=str(threads), BENCH_ROUNDS="1", BENCH_SECONDS=str(seconds))
        env.pop("OPENBLAS_NUM_THREADS", None)
        self.process = subprocess.Popen([binary, "serve"], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def __call__(self, *args):
        self.process.stdin.write(" ".join(map(str, args)) + "\n")
        self.process.stdin.flush()
        records = []
        for line in self.process.stdout:
            if line.strip() == "done":
                return records
            records.append(json.loads(line))
        raise RuntimeError("clip-kernel-bench stopped")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=0.15, help="length of one round")
    parser.add_argument("--pause", type=float, default=0.3, help="idle time before each round")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    try:
        import numpy as np
    except ImportError:
        sys.exit("numpy is needed for the GEMM comparison: pip install numpy")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    try:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None

    ours = Ours(args.binary, args.threads, args.seconds)
    print(f"threads: {args.threads}, {args.rounds} alternating rounds of {args.seconds} s per side (best round of each), {args.pause} s pause before each")
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    print()
    print("GEMM, GFLOP/s          best: swift-clip     numpy    ratio   median of paired-round ratios")
    rng = np.random.default_rng(0)
    worst = None
    for m, k, n in GEMM_SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        mine, theirs = [], []
        for _ in range(args.rounds):
            time.sleep(args.pause)
            mine.append(ours("gemm", m, n, k)[0]["gflops_best"])
            time.sleep(args.pause)
            if threadpool_limits:
                with threadpool_limits(limits=args.threads, user_api="blas"):
                    theirs.append(flops / best_seconds(lambda: np.matmul(a, b, out=c), args.seconds) / 1e9)
            else:
                theirs.append(flops / best_seconds(lambda: np.matmul(a, b, out=c), args.seconds) / 1e9)
        paired = statistics.median(x / y for x, y in zip(mine, theirs))
        worst = paired if worst is None else min(worst, paired)
        shape = f"{m}x{k}x{n}"
        print(f"{shape:<22} {max(mine):16.1f} {max(theirs):9.1f} {max(mine) / max(theirs):8.2f} {paired:12.2f}")
    print(f"lowest median paired ratio (swift/numpy): {worst:.2f}")

    if torch:
        print()
        print("linear, few rows, GFLOP/s  best: swift-clip     torch    ratio   median of paired-round ratios")
        for m, k, n in LINEAR_SHAPES:
            x, w = torch.randn(m, k), torch.randn(n, k)
            flops = 2.0 * m * n * k
            mine, theirs = [], []
            with torch.no_grad():
                for _ in range(args.rounds):
                    time.sleep(args.pause)
                    mine.append(ours("linear-packed", m, n, k)[0]["gflops_best"])
                    time.sleep(args.pause)
                    theirs.append(flops / best_seconds(lambda: F.linear(x, w), args.seconds) / 1e9)
            paired = statistics.median(a / b for a, b in zip(mine, theirs))
            shape = f"{m}x{k}x{n}"
            print(f"{shape:<26} {max(mine):12.1f} {max(theirs):9.1f} {max(mine) / max(theirs):8.2f} {paired:12.2f}")

    print()
    print("kernel, ms              shape    swift-clip      torch   torch/swift")
    for name, rows, cols in KERNELS:
        x = torch.randn(rows, cols) if torch else None
        peer = None
        if torch:
            w, bias = torch.randn(cols), torch.randn(cols)
            peer = {
                "softmax": lambda: torch.softmax(x, dim=-1),
                "layernorm": lambda: F.layer_norm(x, (cols,), w, bias),
                "gelu": lambda: F.gelu(x),
                "quickgelu": lambda: x * torch.sigmoid(1.702 * x),
            }[name]
        mine, theirs = float("inf"), float("inf")
        for _ in range(args.rounds):
            time.sleep(args.pause)
            mine = min(mine, ours(name, rows, cols)[0]["ms_best"])
            time.sleep(args.pause)
            if peer:
                with torch.no_grad():
                    theirs = min(theirs, best_seconds(peer, args.seconds) * 1e3)
        peer_text = f"{theirs:10.3f} {theirs / mine:13.2f}" if peer else "         -             -"
        print(f"{name:<12} {rows:>6}x{cols:<6} {mine:10.3f} {peer_text}")

    print()
    print("thread schemes (clip-kernel-bench threads):")
    for record in ours("threads"):
        record.pop("threads", None)
        name = record.pop("scheme")
        print(f"  {name}: " + ", ".join(f"{key} {value:.3f}" for key, value in sorted(record.items())))


if __name__ == "__main__":
    main()
