/// GELU (exact, erf-based) and QuickGELU, forward and backward.
enum ActivationKernels {
    /// Elements per chunk: these kernels cost a few ns per element, so split above ~64k.
    static let grain = 1 << 15

    /// GELU(x) = x · Φ(x), as `torch.nn.GELU()` (approximate='none').
    static func gelu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        UnaryKernels.map(x, y, count, grain: grain) { $0 * vnormalCDF($0) }
    }

    /// dGELU/dx = Φ(x) + x · φ(x), φ the standard normal density.
    static func geluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                             _ count: Int) {
        UnaryKernels.map(x, dy, dx, count, grain: grain) { v, g in
            let density = 0.398_942_280_401_432_7 * vexp(-0.5 * v * v)
            return g * (vnormalCDF(v) + v * density)
        }
    }

    /// QuickGELU(x) = x · σ(1.702 x).
    static func quickGELU(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        UnaryKernels.map(x, y, count, grain: grain) { $0 * vsigmoid(quickGELUSlope * $0) }
    }

    /// dQuickGELU/dx = σ(1.702 x) + 1.702 x · σ(1.702 x) · (1 − σ(1.702 x)).
    static func quickGELUBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                  _ count: Int) {
        UnaryKernels.map(x, dy, dx, count, grain: grain) { v, g in
            let s = vsigmoid(quickGELUSlope * v)
            return g * (s + quickGELUSlope * v * s * (1 - s))
        }
    }
}
