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
import statistics
import sys
import time

from vit_b32 import bench_arguments, bench_request, clip_environment, random_model, selected_tasks, start_clip_bench

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
    print("task                     swift-clip items/s  ms     PyTorch items/s  ms     throughput ratio  latency ratio  (paired median)")
    peak = 0.0
    for kind, batch, tokens in selected_tasks(TASKS, args.tasks):
        mine, theirs = [], []
        fn = torch_task(kind, batch, tokens)
        for _ in range(args.rounds):
            time.sleep(0.3)
            record = bench_request(ours, kind, batch, tokens)
            peak = max(peak, record["peak_rss_mib"])
            mine.append(record["latency_ms_median"])
            time.sleep(0.3)
            with torch.inference_mode():
                theirs.append(time_fn(fn, warmup=2, iters=3)["median_s"] * 1e3)
        ours_best, theirs_best = min(mine), min(theirs)
        paired = statistics.median(m / t for m, t in zip(mine, theirs))
        name = f"{kind} batch {batch}" + (f" @{tokens} tokens" if kind == "text" else "")
        print(f"{name:<25}{batch / ours_best * 1e3:14.2f} {ours_best:8.1f} {batch / theirs_best * 1e3:14.2f} {theirs_best:8.1f}"
              f" {theirs_best / ours_best:14.2f} {ours_best / theirs_best:14.2f} {paired:14.2f}")
    ours.stdin.close()
    ours.wait()
    print(f"peak RSS of clip bench: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
