#!/usr/bin/env python3
"""Reference bfloat16 rounding, from PyTorch, for CLIPTensor's low-precision tests.

Writes Tests/CLIPTensorTests/Fixtures/bf16_rounding.json: float32 bit patterns (`f32_bits`) and the
bits of torch's `tensor.to(torch.bfloat16)` for each (`bf16_bits`). The values cover ties (rounded
to even), the largest finite floats (which round to infinity), subnormals, signed zeros, infinities,
NaNs, and 4,000 random values over many magnitudes.

    pip install torch
    python Scripts/make_precision_fixtures.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "CLIPTensorTests", "Fixtures", "bf16_rounding.json")

special_bits = [
    0x00000000, 0x80000000,                    # ±0
    0x3F800000, 0x3F808000, 0x3F818000,        # 1; 1 + half a bf16 step (tie: down to even); an odd tie (up)
    0x3F808001, 0x3F807FFF,                    # just above and below a tie
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F8000,        # the largest floats: round to ±inf; a tie at the top
    0x7F800000, 0xFF800000,                    # ±inf
    0x00000001, 0x00008000, 0x00018000, 0x007FFFFF, 0x80000001,  # subnormals, ties among them
    0x00800000,                                # the smallest normal
]
generator = torch.Generator().manual_seed(16)
values = torch.randn(4000, generator=generator) * torch.pow(10.0, torch.randint(-30, 30, (4000,), generator=generator).float())
random_bits = [int(b) & 0xFFFFFFFF for b in values.float().view(torch.int32).tolist()]
f32_bits = special_bits + random_bits
as_floats = torch.tensor([b - (1 << 32) if b >= 1 << 31 else b for b in f32_bits], dtype=torch.int32).view(torch.float32)
bf16_bits = [int(b) & 0xFFFF for b in as_floats.to(torch.bfloat16).view(torch.int16).tolist()]
# NaN payloads are not compared: torch keeps one quiet NaN pattern; the test checks NaN stays NaN.
nan_bits = [0x7FC00000, 0xFFC00001, 0x7F800001]

with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "f32_bits": f32_bits, "bf16_bits": bf16_bits, "nan_f32_bits": nan_bits}, f)
print(f"wrote {len(f32_bits)} values to {OUT}")
