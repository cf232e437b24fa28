// GELU and QuickGELU with fused backward passes.

/// Exact GELU, `x · Φ(x)` with the normal CDF through erf, as `torch.nn.GELU()`.
public func gelu(_ x: Tensor) -> Tensor {
    let out = Tensor.uninitialized(x.shape)
    ActivationKernels.gelu(x.pointer, out.pointer, x.count)
    return out.recordingGradient(of: [x]) { g in
        let grad = Tensor.uninitialized(x.shape)
        withExtendedLifetime(g) { ActivationKernels.geluBackward(x.pointer, g.pointer, grad.pointer, x.count) }
        return [grad]
    }
}

/// QuickGELU, `x · σ(1.702 x)`: the activation of OpenAI's CLIP models.
public func quickGELU(_ x: Tensor) -> Tensor {
    let out = Tensor.uninitialized(x.shape)
    ActivationKernels.quickGELU(x.pointer, out.pointer, x.count)
    return out.recordingGradient(of: [x]) { g in
        let grad = Tensor.uninitialized(x.shape)
        withExtendedLifetime(g) { ActivationKernels.quickGELUBackward(x.pointer, g.pointer, grad.pointer, x.count) }
        return [grad]
    }
}
