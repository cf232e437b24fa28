"""The ViT-B/32 both sides of the model benchmarks run: open_clip's random initialisation (seed 0),
saved once as safetensors for `clip bench`, and `clip bench --serve` driven over a pipe."""
import json
import os
import subprocess

WEIGHTS = os.path.join("/tmp", "swift-clip-bench-ViT-B-32.safetensors")


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
