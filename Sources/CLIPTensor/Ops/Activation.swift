// GELU (exact and tanh-approximated) and QuickGELU with fused backward passes.

/// An elementwise activation whose backward needs its input.
private func activation(_ x: Tensor, _ forward: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                        _ backward: @escaping (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
    let out = Tensor.uninitialized(x.shape)
    forward(x.pointer, out.pointer, x.count)
    return out.recordingGradient(of: [x]) { g in
        let grad = Tensor.uninitialized(x.shape)
        withExtendedLifetime(g) { backward(x.pointer, g.pointer, grad.pointer, x.count) }
        return [grad]
    }
}

/// Exact GELU, `x · Φ(x)` with the normal CDF through erf, as `torch.nn.GELU()`.
public func gelu(_ x: Tensor) -> Tensor {
    activation(x, ActivationKernels.gelu, ActivationKernels.geluBackward)
}

/// QuickGELU, `x · σ(1.702 x)`: the activation of OpenAI's CLIP models.
public func quickGELU(_ x: Tensor) -> Tensor {
    activation(x, ActivationKernels.quickGELU, ActivationKernels.quickGELUBackward)
}

/// GELU with PyTorch's tanh approximation, `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`, as
/// `torch.nn.GELU(approximate="tanh")` (transformers' `gelu_pytorch_tanh`: SigLIP).
public func geluTanh(_ x: Tensor) -> Tensor {
    activation(x, ActivationKernels.geluTanh, ActivationKernels.geluTanhBackward)
}
