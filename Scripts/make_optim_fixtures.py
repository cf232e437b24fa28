#!/usr/bin/env python3
"""AdamW, gradient clipping and the warmup-cosine schedule as torch and open_clip compute them, for
CLIPOptimTests.

Three parameters as open_clip groups them: `weight` [4, 3] (decayed, 0.2), `bias` [4] and `ln.weight`
[3] (not decayed). Five steps; before each, gradients drawn from a seeded generator (scaled so that
clipping acts on some steps), `torch.nn.utils.clip_grad_norm_(…, 1.0)`, the learning rate from
open_clip's `cosine_lr` (base 1e-2, 2 warmup steps, 5 steps in all) set on every group, then
`torch.optim.AdamW(betas=(0.9, 0.98), eps=1e-6)`.

Writes Tests/CLIPOptimTests/Fixtures/adamw.safetensors: `init/<name>`, and per step k `grad<k>/<name>`
(before clipping), `norm<k>` (what clip_grad_norm_ returned), `lr<k>`, `after<k>/<name>`.

    pip install torch safetensors
    python Scripts/make_optim_fixtures.py
"""
import math
import os

import torch
from safetensors.torch import save_file


def cosine_lr(base, warmup, total, step):
    """open_clip's scheduler: linear warmup (step + 1) / warmup, then half a cosine to 0."""
    if step < warmup:
        return base * (step + 1) / warmup
    elapsed, span = step - warmup, total - warmup
    return 0.5 * (1 + math.cos(math.pi * elapsed / span)) * base


def main():
    generator = torch.Generator().manual_seed(7)
    shapes = {"weight": (4, 3), "bias": (4,), "ln.weight": (3,)}
    params = {name: torch.nn.Parameter(torch.randn(shape, generator=generator)) for name, shape in shapes.items()}
    optimizer = torch.optim.AdamW(
        [{"params": [params["weight"]], "weight_decay": 0.2},
         {"params": [params["bias"], params["ln.weight"]], "weight_decay": 0.0}],
        lr=1e-2, betas=(0.9, 0.98), eps=1e-6)
    out = {f"init/{name}": p.detach().clone() for name, p in params.items()}
    for step in range(5):
        scale = 2.0 if step % 2 == 0 else 0.1
        for name, p in params.items():
            p.grad = torch.randn(p.shape, generator=generator) * scale
            out[f"grad{step}/{name}"] = p.grad.clone()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        lr = cosine_lr(1e-2, 2, 5, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        out[f"norm{step}"] = norm.reshape(1).float()
        out[f"lr{step}"] = torch.tensor([lr], dtype=torch.float32)
        for name, p in params.items():
            out[f"after{step}/{name}"] = p.detach().clone()
    folder = os.path.join(os.path.dirname(__file__), "..", "Tests", "CLIPOptimTests", "Fixtures")
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(folder, "adamw.safetensors"))


if __name__ == "__main__":
    main()
