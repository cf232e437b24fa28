#!/usr/bin/env python3
"""Reference bfloat16 rounding and autocast products, from PyTorch, for CLIPTensor's low-precision tests.

Writes Tests/CLIPTensorTests/Fixtures/bf16_rounding.json: float32 bit patterns (`f32_bits`) and the
bits of torch's `tensor.to(torch.bfloat16)` for each (`bf16_bits`). The values cover ties (rounded
to even), the largest finite floats (which round to infinity), subnormals, signed zeros, infinities,
NaNs, and 4,000 random values over many magnitudes.

Also writes Tests/CLIPTensorTests/Fixtures/autocast_products.safetensors: a linear layer, a strided
convolution and a batched matmul run forward and backward under `torch.autocast("cpu",
dtype=torch.bfloat16)`, with their inputs, upstream gradients, outputs and input gradients.

    pip install torch safetensors
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


# Mixed-precision products: torch.autocast("cpu", dtype=torch.bfloat16) forward and backward of a
# linear layer, a convolution and a batched matmul, for `withBF16Products` (amp_bf16 training).
# Outputs and gradients come out of autocast in bf16; they are stored widened to f32.
from safetensors.torch import save_file  # noqa: E402

AUTOCAST_OUT = os.path.join(os.path.dirname(OUT), "autocast_products.safetensors")
g = torch.Generator().manual_seed(17)
tensors = {
    "linear.x": torch.randn(6, 40, generator=g), "linear.weight": torch.randn(24, 40, generator=g) * 0.2,
    "linear.bias": torch.randn(24, generator=g), "linear.upstream": torch.randn(6, 24, generator=g),
    "conv.x": torch.randn(2, 3, 9, 9, generator=g), "conv.weight": torch.randn(5, 3, 3, 3, generator=g) * 0.3,
    "conv.bias": torch.randn(5, generator=g), "conv.upstream": torch.randn(2, 5, 4, 4, generator=g),
    "matmul.a": torch.randn(3, 7, 16, generator=g), "matmul.b": torch.randn(3, 16, 5, generator=g),
    "matmul.upstream": torch.randn(3, 7, 5, generator=g),
}
leaves = {name: value.clone().requires_grad_(True) for name, value in tensors.items() if not name.endswith("upstream")}
with torch.autocast("cpu", dtype=torch.bfloat16):
    outputs = {
        "linear": torch.nn.functional.linear(leaves["linear.x"], leaves["linear.weight"], leaves["linear.bias"]),
        "conv": torch.nn.functional.conv2d(leaves["conv.x"], leaves["conv.weight"], leaves["conv.bias"], stride=2),
        "matmul": torch.matmul(leaves["matmul.a"], leaves["matmul.b"]),
    }
for op, output in outputs.items():
    assert output.dtype == torch.bfloat16
    (output.float() * tensors[f"{op}.upstream"]).sum().backward()
    tensors[f"{op}.output"] = output.detach().float()
for name, leaf in leaves.items():
    tensors[f"{name}.grad"] = leaf.grad.float()
save_file({name: value.contiguous() for name, value in tensors.items()}, AUTOCAST_OUT, metadata={"torch": torch.__version__})
print(f"wrote {len(tensors)} tensors to {AUTOCAST_OUT}")
