#!/usr/bin/env python3
"""Reference values for CLIPTensor's ops, from PyTorch.

For every case below this script draws the inputs, runs the op in float32 with autograd, reduces the
output with a fixed random projection (loss = sum(output * projection)) and stores inputs, output,
projection and input gradients in Tests/CLIPTensorTests/Fixtures/ops.safetensors under
"<case>/input<i>", "<case>/output", "<case>/projection" and "<case>/grad<i>".

The Swift test (OpsParityTests.swift) runs the same cases by name with the same parameters.

    pip install torch safetensors
    python Scripts/make_tensor_fixtures.py
"""
import math
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "CLIPTensorTests", "Fixtures", "ops.safetensors")

gen = torch.Generator().manual_seed(1234)


def randn(*shape):
    return torch.randn(tuple(shape), generator=gen, dtype=torch.float32)


def positive(*shape):
    return randn(*shape).abs() + 0.5


def away_from_zero(*shape):
    x = randn(*shape)
    return x + 0.2 * torch.sign(x)


def causal_mask(n):
    return torch.full((n, n), float("-inf")).triu(1)


def packed_attention(qkv, heads, causal):
    b, l, three_d = qkv.shape
    d = three_d // 3
    q, k, v = qkv.split(d, dim=-1)
    split = lambda t: t.reshape(b, l, heads, d // heads).transpose(1, 2)
    out = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=causal)
    return out.transpose(1, 2).reshape(b, l, d)


CASES = {
    # name: (inputs, function)
    "add_broadcast": ([randn(2, 3, 4), randn(3, 1)], lambda a, b: a + b),
    "sub_broadcast": ([randn(4), randn(2, 3, 4)], lambda a, b: a - b),
    "mul_broadcast": ([randn(2, 1, 4), randn(3, 1)], lambda a, b: a * b),
    "div_broadcast": ([randn(3, 4), away_from_zero(1, 4)], lambda a, b: a / b),
    "neg": ([randn(5, 3)], lambda a: -a),
    "scalar_affine": ([randn(4, 5)], lambda a: 2.5 * a - 1.0),
    "exp": ([randn(3, 7)], torch.exp),
    "log": ([positive(3, 7)], torch.log),
    "sqrt": ([positive(3, 7)], torch.sqrt),
    "pow_cube": ([randn(3, 7)], lambda a: a ** 3),
    "tanh": ([randn(3, 7)], torch.tanh),
    "sigmoid": ([randn(3, 7) * 3], torch.sigmoid),
    "log_sigmoid": ([randn(3, 7) * 8], torch.nn.functional.logsigmoid),
    "relu": ([away_from_zero(3, 7)], torch.relu),
    "sum_all": ([randn(3, 4, 5)], lambda a: a.sum()),
    "sum_axes_0_2": ([randn(3, 4, 5)], lambda a: a.sum(dim=(0, 2))),
    "sum_axis_keepdim": ([randn(3, 4, 5)], lambda a: a.sum(dim=1, keepdim=True)),
    "mean_axis": ([randn(3, 4, 5)], lambda a: a.mean(dim=-1)),
    "mean_all": ([randn(6, 5)], lambda a: a.mean()),
    "max_axis": ([randn(4, 6, 3)], lambda a: a.max(dim=1).values),
    "reshape": ([randn(2, 3, 4)], lambda a: a.reshape(4, 6) * torch.arange(24.0).reshape(4, 6)),
    "permute": ([randn(2, 3, 4)], lambda a: a.permute(2, 0, 1)),
    "transpose": ([randn(2, 3, 4)], lambda a: a.transpose(0, 2)),
    "slice_axis1": ([randn(3, 6, 2)], lambda a: a[:, 1:4]),
    "slice_axis0": ([randn(5, 3)], lambda a: a[2:5]),
    "gather_rows": ([randn(4, 3)], lambda a: a[torch.tensor([1, 0, 1, 3])]),
    "concat_axis1": ([randn(2, 3, 2), randn(2, 1, 2), randn(2, 2, 2)], lambda a, b, c: torch.cat([a, b, c], dim=1)),
    "expand": ([randn(3, 1)], lambda a: a.expand(2, 3, 4)),
    "matmul": ([randn(5, 7), randn(7, 3)], lambda a, b: a @ b),
    "matmul_transpose_b": ([randn(5, 7), randn(3, 7)], lambda a, b: a @ b.T),
    "matmul_transpose_a": ([randn(7, 5), randn(7, 3)], lambda a, b: a.T @ b),
    "matmul_shared_weight": ([randn(2, 4, 6), randn(5, 6)], lambda a, b: a @ b.T),
    "matmul_batched": ([randn(3, 4, 6), randn(3, 6, 2)], lambda a, b: a @ b),
    "matmul_batched_transposes": ([randn(3, 6, 4), randn(3, 2, 6)], lambda a, b: a.transpose(1, 2) @ b.transpose(1, 2)),
    "softmax": ([randn(4, 19) * 3], lambda a: torch.softmax(a, dim=-1)),
    "softmax_axis0": ([randn(5, 3)], lambda a: torch.softmax(a, dim=0)),
    "log_softmax": ([randn(4, 37) * 3], lambda a: torch.log_softmax(a, dim=-1)),
    "cross_entropy": ([randn(5, 7) * 2], lambda a: F.cross_entropy(a, torch.tensor([0, 6, 3, 3, 1]))),
    "layer_norm": ([randn(6, 20) * 2 + 1, randn(20), randn(20)],
                   lambda x, w, b: F.layer_norm(x, (20,), w, b, eps=1e-5)),
    "gelu": ([randn(5, 40) * 3], lambda a: F.gelu(a)),
    "quick_gelu": ([randn(5, 40) * 3], lambda a: a * torch.sigmoid(1.702 * a)),
    "gelu_tanh": ([randn(5, 40) * 3], lambda a: F.gelu(a, approximate="tanh")),
    "l2_normalize": ([randn(4, 9)], lambda a: F.normalize(a, dim=-1)),
    "attention": ([randn(2, 3, 5, 8), randn(2, 3, 6, 8), randn(2, 3, 6, 4)],
                  lambda q, k, v: F.scaled_dot_product_attention(q, k, v)),
    "attention_causal": ([randn(2, 2, 7, 8), randn(2, 2, 7, 8), randn(2, 2, 7, 8)],
                         lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)),
    "attention_masked": ([randn(1, 2, 4, 8), randn(1, 2, 4, 8), randn(1, 2, 4, 8)],
                         lambda q, k, v: F.scaled_dot_product_attention(
                             q, k, v, attn_mask=torch.tensor([[0.0, -1.0, 0.5, -math.inf]] * 4))),
    "conv2d_padded": ([randn(2, 3, 7, 6), randn(4, 3, 3, 3), randn(4)],
                      lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)),
    "conv2d_patchify": ([randn(2, 3, 8, 8), randn(5, 3, 4, 4)],
                        lambda x, w: F.conv2d(x, w, stride=4)),
    "avg_pool2d": ([randn(2, 3, 6, 6)], lambda x: F.avg_pool2d(x, 2)),
    "avg_pool2d_padded": ([randn(1, 2, 7, 5)], lambda x: F.avg_pool2d(x, 3, stride=2, padding=1)),
    "embedding": ([randn(10, 4)], lambda w: F.embedding(torch.tensor([[3, 0, 9], [3, 3, 1]]), w)),
    "patchified": ([randn(2, 3, 9, 8)], lambda x: x.unfold(2, 4, 4).unfold(3, 4, 4).permute(0, 2, 3, 1, 4, 5).reshape(2, 4, 48)),
    "linear": ([randn(2, 3, 5), randn(4, 5), randn(4)], lambda x, w, b: F.linear(x, w, b)),
    "linear_residual": ([randn(2, 3, 5), randn(4, 5), randn(4), randn(2, 3, 4)], lambda x, w, b, r: r + F.linear(x, w, b)),
    "linear_no_bias": ([randn(6, 5), randn(3, 5)], lambda x, w: F.linear(x, w)),
    # Shapes for the packed few-row kernels: a partial last panel (70 = 2·32 + 6 columns), uneven
    # row tiles (94 rows), depths that are not multiples of 16 and one past a depth block (1100).
    "linear_few_rows": ([randn(2, 47, 77), randn(70, 77), randn(70), randn(2, 47, 70)],
                        lambda x, w, b, r: r + F.linear(x, w, b)),
    "linear_few_rows_deep": ([randn(13, 1100), randn(33, 1100)], lambda x, w: F.linear(x, w)),
    "packed_attention": ([randn(2, 5, 24)], lambda qkv: packed_attention(qkv, 2, False)),
    "packed_attention_causal": ([randn(2, 6, 24)], lambda qkv: packed_attention(qkv, 4, True)),
}


def main():
    tensors = {}
    for name, (inputs, function) in CASES.items():
        inputs = [x.clone().requires_grad_(True) for x in inputs]
        output = function(*inputs)
        projection = randn(*output.shape)
        (output * projection).sum().backward()
        tensors[f"{name}/output"] = output.detach().clone().contiguous()
        tensors[f"{name}/projection"] = projection.contiguous()
        for i, x in enumerate(inputs):
            tensors[f"{name}/input{i}"] = x.detach().clone().contiguous()
            tensors[f"{name}/grad{i}"] = x.grad.contiguous()
    save_file(tensors, OUT, metadata={"torch": torch.__version__, "script": "Scripts/make_tensor_fixtures.py"})
    print(f"wrote {len(CASES)} cases, {len(tensors)} tensors to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
