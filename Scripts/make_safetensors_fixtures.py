#!/usr/bin/env python3
"""A safetensors file written by the reference `safetensors` library, for CLIPTensor's reader.

Holds the same values in several dtypes: "<name>" in its own dtype and "<name>.as_f32" as torch
converts it to float32, so the Swift test can check that our upcast matches torch's. Also an int64
tensor (Hugging Face checkpoints carry `position_ids` as I64), a scalar, an empty tensor and metadata.

    pip install torch safetensors
    python Scripts/make_safetensors_fixtures.py
"""
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "CLIPTensorTests", "Fixtures", "python_written.safetensors")


def main():
    g = torch.Generator().manual_seed(5)
    values = torch.randn(3, 5, generator=g) * 100
    special = torch.tensor([0.0, -0.0, 1e-8, 6.1e-5, 65504.0, 1e5, float("inf"), float("-inf"), 3.14159, -2.5e-3])
    tensors = {
        "f32": values.clone(),
        "f16": values.half(),
        "f16.as_f32": values.half().float(),
        "bf16": values.bfloat16(),
        "bf16.as_f32": values.bfloat16().float(),
        "f16_special": special.half(),
        "f16_special.as_f32": special.half().float(),
        "bf16_special": special.bfloat16(),
        "bf16_special.as_f32": special.bfloat16().float(),
        "f64": values.double(),
        "f64.as_f32": values.double().float(),
        "position_ids": torch.arange(7, dtype=torch.int64).unsqueeze(0),
        "scalar": torch.tensor(2.75),
        "empty": torch.zeros(0, 4),
    }
    save_file(tensors, OUT, metadata={"format": "pt", "note": "written by safetensors " + __import__("safetensors").__version__})
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
