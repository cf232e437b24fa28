#!/usr/bin/env python3
"""ViT-B/32 (random init) through `clip bench` beside PyTorch open_clip, in one run (`make bench`).

Tasks: image batch 1 and 32; text batch 1 and 64 with 77-token and with 10-token prompts (PyTorch
always runs the full 77-token context; swift-clip stops at the batch's last end token). Rounds of
the two sides alternate with a pause between them (BLAS threads spin after each call); the best
round of each side is compared. The PyTorch side uses the timing helpers of
../shared/bench/peers/common.py.

    python3 Benchmarks/model.py --binary .build/release/clip [--rounds 3] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "..", "shared", "bench", "peers")
WEIGHTS = os.path.join("/tmp", "swift-clip-bench-ViT-B-32.safetensors")
TASKS = [("image", 1, 0), ("image", 32, 0), ("text", 1, 77), ("text", 64, 77), ("text", 1, 10), ("text", 64, 10)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tasks", default="", help="comma-separated subset, e.g. image1,text1@10")
    args = parser.parse_args()
    sys.path.insert(0, PEERS)
    from common import time_fn  # noqa: E402
    import torch
    import open_clip
    from safetensors.torch import save_file
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32", pretrained=None).eval()
    if not os.path.exists(WEIGHTS):
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, WEIGHTS)

    def torch_task(kind, batch, tokens):
        if kind == "image":
            x = torch.randn(batch, 3, 224, 224)
            return lambda: model.encode_image(x)
        t = torch.zeros(batch, 77, dtype=torch.long)
        t[:, 0] = 49406
        t[:, 1:tokens - 1] = torch.randint(1, 49406, (batch, tokens - 2))
        t[:, tokens - 1] = 49407
        return lambda: model.encode_text(t)

    env = dict(os.environ, CLIP_NUM_THREADS=str(args.threads))
    env.pop("OPENBLAS_NUM_THREADS", None)
    print(f"ViT-B/32, random weights, {args.threads} threads, best of {args.rounds} alternating rounds")
    print("task                     swift-clip items/s  ms     PyTorch items/s  ms     throughput ratio  latency ratio")
    peak = 0.0
    selected = [t for t in TASKS if not args.tasks or f"{t[0]}{t[1]}" + (f"@{t[2]}" if t[0] == "text" else "") in args.tasks.split(",")]
    for kind, batch, tokens in selected:
        ours_best, theirs_best = None, None
        for _ in range(args.rounds):
            time.sleep(0.3)
            command = [args.binary, "bench", "--model", WEIGHTS, "--arch", "ViT-B-32", "--json",
                       "--iterations", "5" if batch > 1 else "15",
                       "--image-batch", str(batch if kind == "image" else 0),
                       "--text-batch", str(batch if kind == "text" else 0), "--text-tokens", str(tokens or 77)]
            record = json.loads(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout)
            peak = max(peak, record["peak_rss_mib"])
            ms = record[kind]["latency_ms_median"]
            ours_best = ms if ours_best is None else min(ours_best, ms)
            time.sleep(0.3)
            fn = torch_task(kind, batch, tokens)
            with torch.inference_mode():
                stats = time_fn(fn, warmup=2, iters=5 if batch > 1 else 15)
            theirs = stats["median_s"] * 1e3
            theirs_best = theirs if theirs_best is None else min(theirs_best, theirs)
        name = f"{kind} batch {batch}" + (f" @{tokens} tokens" if kind == "text" else "")
        print(f"{name:<25}{batch / ours_best * 1e3:14.2f} {ours_best:8.1f} {batch / theirs_best * 1e3:14.2f} {theirs_best:8.1f}"
              f" {theirs_best / ours_best:14.2f} {ours_best / theirs_best:14.2f}")
    print(f"peak RSS of clip bench: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
