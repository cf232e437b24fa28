import Foundation

// Elementwise functions with gradients: exp, log, sqrt, pow, tanh, sigmoid, logSigmoid, relu.

private func unary<F: VectorFunction>(_ x: Tensor, _ f: F) -> Tensor {
    let out = Tensor.uninitialized(x.shape)
    UnaryKernels.map(f, x.pointer, out.pointer, x.count)
    return out
}

private func unaryScalar(_ x: Tensor, _ transform: (Float) -> Float) -> Tensor {
    let out = Tensor.uninitialized(x.shape)
    withExtendedLifetime(x) { UnaryKernels.mapScalar(x.pointer, out.pointer, x.count, transform) }
    return out
}

/// e^x elementwise.
public func exp(_ x: Tensor) -> Tensor {
    let out = unary(x, Exponential())
    let result = out.detached()
    return out.recordingGradient(of: [x]) { g in [g * result] }
}

/// Natural logarithm elementwise.
public func log(_ x: Tensor) -> Tensor {
    unaryScalar(x) { Foundation.log($0) }.recordingGradient(of: [x]) { g in [g / x] }
}

/// Square root elementwise.
public func sqrt(_ x: Tensor) -> Tensor {
    let out = unaryScalar(x) { $0.squareRoot() }
    let result = out.detached()
    return out.recordingGradient(of: [x]) { g in [g * 0.5 / result] }
}

/// `x` raised to a constant power elementwise.
public func pow(_ x: Tensor, _ exponent: Float) -> Tensor {
    unaryScalar(x) { Foundation.pow($0, exponent) }.recordingGradient(of: [x]) { g in
        [g * exponent * pow(x, exponent - 1)]
    }
}

/// Hyperbolic tangent elementwise.
public func tanh(_ x: Tensor) -> Tensor {
    let out = unaryScalar(x) { Foundation.tanh($0) }
    let result = out.detached()
    return out.recordingGradient(of: [x]) { g in [g * (1 - result * result)] }
}

/// Logistic sigmoid `1 / (1 + e^−x)` elementwise.
public func sigmoid(_ x: Tensor) -> Tensor {
    let out = unary(x, Sigmoid())
    let result = out.detached()
    return out.recordingGradient(of: [x]) { g in [g * result * (1 - result)] }
}

/// `log σ(x)` elementwise, as `min(x, 0) − log1p(e^−|x|)` so that it neither overflows nor loses
/// precision for large |x| (the SigLIP loss).
public func logSigmoid(_ x: Tensor) -> Tensor {
    let out = unaryScalar(x) { v in Swift.min(v, 0) - Float(Foundation.log1p(Foundation.exp(Double(-Swift.abs(v))))) }
    return out.recordingGradient(of: [x]) { g in
        [g * unaryScalar(x) { v in Float(1 / (1 + Foundation.exp(Double(v)))) }]   // d/dx log σ(x) = σ(−x)
    }
}

/// `max(x, 0)` elementwise.
public func relu(_ x: Tensor) -> Tensor {
    unary(x, ReLU()).recordingGradient(of: [x]) { g in
        let grad = Tensor.uninitialized(x.shape)
        withExtendedLifetime(g) { UnaryKernels.map(ReLUBackward(), x.pointer, g.pointer, grad.pointer, x.count) }
        return [grad]
    }
}
