#!/usr/bin/env python3
"""SigLIP B/16 at 224 pixels (random init) through `clip bench` beside PyTorch transformers'
`SiglipModel`, in one run (`make bench`).

transformers' default `SiglipConfig` is SigLIP B/16-224 (ViT-B/16 with attention pooling, 12-layer
text tower, 64-token context, vocabulary 32,000). Its random initialisation (seed 0) is saved once as
a Hugging Face directory, which `clip bench --serve` loads; PyTorch runs `get_image_features` and
`get_text_features` on the same shapes. SigLIP's text tower attends both ways over the whole padded
context, so every text is 64 tokens on both sides. Rounds alternate between the two sides as in
model.py, and the best round of each is compared.

    python3 Benchmarks/siglip.py --binary .build/release/clip [--rounds 4] [--threads 2] [--tasks image32,text1@64,image1,text64@64]
"""
import os
import subprocess
import sys

from vit_b32 import TABLE_HEADER, bench_arguments, clip_environment, compare_tasks, selected_tasks

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "..", "shared", "bench", "peers")
FOLDER = os.path.join("/tmp", "swift-clip-bench-siglip-b16")
CONTEXT = 64
TASKS = [("image", 1, 0), ("image", 32, 0), ("text", 1, CONTEXT), ("text", 64, CONTEXT)]


def random_siglip(threads):
    """PyTorch on `threads` threads and a random SigLIP B/16 in eval mode; saves FOLDER if missing."""
    import torch
    from transformers import SiglipConfig, SiglipModel
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SiglipModel(SiglipConfig()).eval()
    if not os.path.exists(os.path.join(FOLDER, "model.safetensors")):
        model.save_pretrained(FOLDER, safe_serialization=True)
    return torch, model


def main():
    args = bench_arguments(4, "image32,text1@64")
    sys.path.insert(0, PEERS)
    from common import time_fn  # noqa: E402
    torch, model = random_siglip(args.threads)
    if not args.tasks:
        args.tasks = "image32,text1@64"

    def torch_task(kind, batch, tokens):
        if kind == "image":
            x = torch.randn(batch, 3, 224, 224)
            return lambda: model.get_image_features(pixel_values=x)
        ids = torch.randint(0, model.config.text_config.vocab_size, (batch, tokens))
        return lambda: model.get_text_features(input_ids=ids)

    ours = subprocess.Popen([args.binary, "bench", "--model", FOLDER, "--serve", "--iterations", "3"],
                            env=clip_environment(args.threads), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    print(f"SigLIP B/16-224, random weights, {args.threads} threads, {args.rounds} alternating rounds per task (3 timed passes each)")
    print(TABLE_HEADER)
    peak = compare_tasks(ours, torch, selected_tasks(TASKS, args.tasks), torch_task, args.rounds, time_fn, warmup=1)
    ours.stdin.close()
    ours.wait()
    print(f"peak RSS of clip bench: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
