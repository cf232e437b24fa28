import CLIPNN
import CLIPTensor

/// Scales all gradients so that their joint 2-norm is at most `maximumNorm`, as
/// `torch.nn.utils.clip_grad_norm_` does (coefficient `maximumNorm / (norm + 1e-6)`, capped at 1).
/// Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maximumNorm: Float) -> Float {
    var squares: Double = 0
    for parameter in parameters {
        guard let gradient = parameter.wrappedValue.grad else { continue }
        gradient.withUnsafeBufferPointer { g in
            var partial: Float = 0
            for value in g { partial += value * value }
            // torch takes each tensor's norm, then the norm of the norms.
            squares += Double(partial.squareRoot()) * Double(partial.squareRoot())
        }
    }
    let norm = Float(squares.squareRoot())
    let coefficient = min(maximumNorm / (norm + 1e-6), 1)
    if coefficient < 1 {
        for parameter in parameters {
            guard let gradient = parameter.wrappedValue.grad else { continue }
            gradient.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] *= coefficient } }
        }
    }
    return norm
}
