"""The ViT-B/32 both sides of the model benchmarks run: open_clip's random initialisation (seed 0),
saved once as safetensors for `clip bench`, and `clip bench --serve` driven over a pipe."""
import argparse
import json
import os
import subprocess

WEIGHTS = os.path.join("/tmp", "swift-clip-bench-ViT-B-32.safetensors")


def bench_arguments(default_rounds, example):
    """The model benchmarks' command line: --binary, --rounds, --threads and --tasks (`example` a subset)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=default_rounds)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tasks", default="", help=f"comma-separated subset, e.g. {example}")
    return parser.parse_args()


def selected_tasks(tasks, subset):
    """The (kind, batch, tokens) tasks that `subset` (--tasks: image32,text1@10, …) names; all when it is empty."""
    names = subset.split(",")
    return [t for t in tasks if not subset or f"{t[0]}{t[1]}" + (f"@{t[2]}" if t[0] == "text" else "") in names]


def random_model(threads):
    """PyTorch on `threads` threads and the random ViT-B/32 in eval mode; writes WEIGHTS if missing."""
    import open_clip
    import torch
    from safetensors.torch import save_file
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32", pretrained=None).eval()
    if not os.path.exists(WEIGHTS):
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, WEIGHTS)
    return torch, model


def clip_environment(threads):
    """The environment for `clip`: `threads` threads, nothing inherited that changes its kernels."""
    env = dict(os.environ, CLIP_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_NUM_THREADS", None)
    env.pop("CLIP_PRECISION", None)
    return env


def start_clip_bench(binary, env, *extra):
    """`clip bench --serve` on WEIGHTS, waiting for requests on its standard input."""
    return subprocess.Popen([binary, "bench", "--model", WEIGHTS, "--arch", "ViT-B-32", *extra, "--serve", "--iterations", "3"],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def bench_request(process, kind, batch, tokens):
    """One timed task of a `clip bench --serve` process: its JSON record."""
    process.stdin.write(f"{kind} {batch}" + (f" {tokens}" if kind == "text" else "") + "\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


TABLE_HEADER = ("task                     swift-clip items/s  ms     PyTorch items/s  ms     throughput ratio  latency ratio"
                "  (paired median)")


def compare_tasks(process, torch, tasks, torch_task, rounds, time_fn, warmup):
    """Each (kind, batch, tokens) task on both sides: `rounds` alternating rounds of `clip bench --serve`
    (`process`) and PyTorch (`torch_task(kind, batch, tokens)` makes the callable), a pause before each;
    prints a TABLE_HEADER row per task comparing the best rounds, and returns our peak RSS in MiB."""
    import statistics
    import time
    peak = 0.0
    for kind, batch, tokens in tasks:
        mine, theirs = [], []
        fn = torch_task(kind, batch, tokens)
        for _ in range(rounds):
            time.sleep(0.3)
            record = bench_request(process, kind, batch, tokens)
            peak = max(peak, record["peak_rss_mib"])
            mine.append(record["latency_ms_median"])
            time.sleep(0.3)
            with torch.inference_mode():
                theirs.append(time_fn(fn, warmup=warmup, iters=3)["median_s"] * 1e3)
        ours_best, theirs_best = min(mine), min(theirs)
        paired = statistics.median(m / t for m, t in zip(mine, theirs))
        name = f"{kind} batch {batch}" + (f" @{tokens} tokens" if kind == "text" else "")
        print(f"{name:<25}{batch / ours_best * 1e3:14.2f} {ours_best:8.1f} {batch / theirs_best * 1e3:14.2f} {theirs_best:8.1f}"
              f" {theirs_best / ours_best:14.2f} {ours_best / theirs_best:14.2f} {paired:14.2f}")
    return peak
