#!/usr/bin/env python3
"""open_clip's training step in amp_bf16: ../shared/bench/peers/train_tiny.py, run unchanged except
that the model's forward and the loss run under `torch.autocast("cpu", dtype=torch.bfloat16)`, as
open_clip's training loop does with `--precision amp_bf16` (backward and AdamW outside it).

    python3 Benchmarks/train_amp_peer.py --steps 5 --warmup 2 --threads 2 --out peer.jsonl
"""
import functools
import os
import sys

import torch

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench", "peers")
sys.path.insert(0, PEERS)
import train_tiny  # noqa: E402
from open_clip.loss import ClipLoss  # noqa: E402
from open_clip.model import CLIP  # noqa: E402


def under_autocast(method):
    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return method(*args, **kwargs)
    return wrapped


CLIP.forward = under_autocast(CLIP.forward)
ClipLoss.forward = under_autocast(ClipLoss.forward)

if __name__ == "__main__":
    train_tiny.main()
