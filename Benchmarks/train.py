#!/usr/bin/env python3
"""Training throughput beside open_clip (`make bench`): the 20.2M-parameter config of
../shared/bench/peers/tiny_clip.json at batch 128 on a fixed random batch, CLIP loss and AdamW, as
../shared/bench/peers/train_tiny.py measures PyTorch. The two sides run alternately for a few rounds
(each a fresh process: warm-up steps, then timed steps); the best round of each and the median of the
per-round ratios are printed, with peak resident memory.

With `--precision amp_bf16` both sides train in mixed precision (`clip bench-train --precision
amp_bf16` against open_clip under torch.autocast bf16, Benchmarks/train_amp_peer.py), and our own f32
step runs beside them.

    python3 Benchmarks/train.py --binary .build/release/clip [--rounds 3] [--steps 5] [--threads 2] [--precision amp_bf16]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "..", "shared", "bench", "peers")


def ours(binary, steps, threads, precision="f32"):
    environment = dict(os.environ, CLIP_NUM_THREADS=str(threads))
    out = subprocess.run([binary, "bench-train", "--model-config", os.path.join(PEERS, "tiny_clip.json"), "--batch-size", "128",
                          "--steps", str(steps), "--warmup-steps", "2", "--precision", precision, "--json"],
                         check=True, capture_output=True, text=True, env=environment).stdout
    record = json.loads(out.strip().splitlines()[-1])
    return record["samples_per_s"], record["peak_rss_MiB"]


def theirs(steps, threads, precision="f32"):
    script = os.path.join(HERE, "train_amp_peer.py") if precision == "amp_bf16" else os.path.join(PEERS, "train_tiny.py")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "peer.jsonl")
        subprocess.run([sys.executable, script, "--steps", str(steps), "--warmup", "2",
                        "--threads", str(threads), "--out", path], check=True, capture_output=True, text=True)
        record = json.loads(open(path).read().strip().splitlines()[-1])
    return record["samples_per_s"], record["peak_rss_MiB"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--precision", choices=["f32", "amp_bf16"], default="f32")
    args = parser.parse_args()
    rows, own_f32 = [], []
    for round_ in range(args.rounds):
        swift = ours(args.binary, args.steps, args.threads, args.precision)
        torch = theirs(args.steps, args.threads, args.precision)
        rows.append((swift, torch))
        line = (f"round {round_ + 1} ({args.precision}): swift-clip {swift[0]:.1f} samples/s ({swift[1]:.0f} MiB), "
                f"open_clip {torch[0]:.1f} samples/s ({torch[1]:.0f} MiB), ratio {swift[0] / torch[0]:.2f}")
        if args.precision != "f32":
            own_f32.append(ours(args.binary, args.steps, args.threads)[0])
            line += f"; swift-clip f32 {own_f32[-1]:.1f} samples/s"
        print(line, flush=True)
    best_swift = max(r[0][0] for r in rows)
    best_torch = max(r[1][0] for r in rows)
    ratio = statistics.median(r[0][0] / r[1][0] for r in rows)
    summary = (f"tiny CLIP training ({args.precision}), batch 128, {args.threads} threads: swift-clip {best_swift:.1f} samples/s, "
               f"open_clip {best_torch:.1f} samples/s (best rounds); median ratio {ratio:.2f}; "
               f"peak RSS {max(r[0][1] for r in rows):.0f} vs {max(r[1][1] for r in rows):.0f} MiB")
    if own_f32:
        summary += f"; swift-clip f32 {max(own_f32):.1f} samples/s ({best_swift / max(own_f32):.2f}x)"
    print(summary)


if __name__ == "__main__":
    main()
