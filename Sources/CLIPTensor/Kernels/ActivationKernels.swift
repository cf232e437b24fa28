/// GELU (exact, erf-based) and QuickGELU, forward and backward.
enum ActivationKernels {
    /// Elements per chunk: these kernels cost about a nanosecond per element.
    static let grain = 1 << 15

    static func gelu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        UnaryKernels.map(GELU(), x, y, count, grain: grain)
    }

    static func geluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                             _ count: Int) {
        UnaryKernels.map(GELUBackward(), x, dy, dx, count, grain: grain)
    }

    static func geluTanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        UnaryKernels.map(GELUTanh(), x, y, count, grain: grain)
    }

    static func geluTanhBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                 _ count: Int) {
        UnaryKernels.map(GELUTanhBackward(), x, dy, dx, count, grain: grain)
    }

    static func quickGELU(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        UnaryKernels.map(QuickGELU(), x, y, count, grain: grain)
    }

    static func quickGELUBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                  _ count: Int) {
        UnaryKernels.map(QuickGELUBackward(), x, dy, dx, count, grain: grain)
    }
}

/// GELU(x) = x · Φ(x), as `torch.nn.GELU()` (approximate='none').
struct GELU: VectorFunction {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x * vnormalCDF(x) }
}

/// dGELU/dx · g = (Φ(x) + x · φ(x)) · g, φ the standard normal density.
struct GELUBackward: VectorFunction2 {
    @inline(__always) func callAsFunction(_ x: Vec, _ g: Vec) -> Vec {
        let density = 0.398_942_280_401_432_7 * vexp(-0.5 * x * x)
        return g * (vnormalCDF(x) + x * density)
    }
}

/// √(2/π), the slope of the tanh approximation's inner polynomial.
private let geluTanhScale: Float = 0.797_884_560_802_865_4
private let geluTanhCubic: Float = 0.044_715

/// 0.5 x (1 + tanh(u)) with u = √(2/π)(x + 0.044715 x³), computed as x · σ(2u) (the same function:
/// 1 + tanh(u) = 2σ(2u)).
struct GELUTanh: VectorFunction {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec {
        let inner = geluTanhScale * (x + geluTanhCubic * x * x * x)
        return x * vsigmoid(2 * inner)
    }
}

/// d/dx [x σ(2u)] · g = (σ + 2x σ (1 − σ) u′) · g, u′ = √(2/π)(1 + 3 · 0.044715 x²).
struct GELUTanhBackward: VectorFunction2 {
    @inline(__always) func callAsFunction(_ x: Vec, _ g: Vec) -> Vec {
        let s = vsigmoid(2 * geluTanhScale * (x + geluTanhCubic * x * x * x))
        let slope = geluTanhScale * (1 + 3 * geluTanhCubic * x * x)
        return g * (s + 2 * x * s * (1 - s) * slope)
    }
}

/// QuickGELU(x) = x · σ(1.702 x).
struct QuickGELU: VectorFunction {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x * vsigmoid(quickGELUSlope * x) }
}

/// dQuickGELU/dx · g = (σ + 1.702 x · σ · (1 − σ)) · g with σ = σ(1.702 x).
struct QuickGELUBackward: VectorFunction2 {
    @inline(__always) func callAsFunction(_ x: Vec, _ g: Vec) -> Vec {
        let s = vsigmoid(quickGELUSlope * x)
        return g * (s + quickGELUSlope * x * s * (1 - s))
    }
}
