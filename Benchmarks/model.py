#!/usr/bin/env python3
"""ViT-B/32 (random init) through `clip bench` beside PyTorch open_clip, in one run (`make bench`).

Tasks: image batch 1 and 32; text batch 1 and 64 with 77-token and with 10-token prompts (PyTorch
always runs the full 77-token context; swift-clip stops at the batch's last end token). Both sides
stay loaded (ours through `clip bench --serve`); rounds of three timed passes alternate with a pause
between them, and the best round of each side is compared, beside the median of the per-round
latency ratios (robust to the machine's slow moments). The PyTorch side uses the timing helpers of
../shared/bench/peers/common.py.

    python3 Benchmarks/model.py --binary .build/release/clip [--rounds 6] [--threads 2] [--tasks image1,text1@10]
"""
import os
import sys

from vit_b32 import TABLE_HEADER, bench_arguments, clip_environment, compare_tasks, random_model, selected_tasks, start_clip_bench

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "..", "shared", "bench", "peers")
TASKS = [("image", 1, 0), ("image", 32, 0), ("text", 1, 77), ("text", 64, 77), ("text", 1, 10), ("text", 64, 10)]


def main():
    args = bench_arguments(6, "image1,text1@10")
    sys.path.insert(0, PEERS)
    from common import time_fn  # noqa: E402
    torch, model = random_model(args.threads)

    def torch_task(kind, batch, tokens):
        if kind == "image":
            x = torch.randn(batch, 3, 224, 224)
            return lambda: model.encode_image(x)
        t = torch.zeros(batch, 77, dtype=torch.long)
        t[:, 0] = 49406
        t[:, 1:tokens - 1] = torch.randint(1, 49406, (batch, tokens - 2))
        t[:, tokens - 1] = 49407
        return lambda: model.encode_text(t)

    ours = start_clip_bench(args.binary, clip_environment(args.threads))

    print(f"ViT-B/32, random weights, {args.threads} threads, {args.rounds} alternating rounds per task (3 timed passes each)")
    print(TABLE_HEADER)
    peak = compare_tasks(ours, torch, selected_tasks(TASKS, args.tasks), torch_task, args.rounds, time_fn, warmup=2)
    ours.stdin.close()
    ours.wait()
    print(f"peak RSS of clip bench: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
