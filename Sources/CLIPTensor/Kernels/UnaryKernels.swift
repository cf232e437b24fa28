/// A SIMD function of one vector. Kernels are generic over it, so that specialisation inlines it
/// into their loops: a closure that crosses the thread fan-out would instead be called once per
/// vector, with its SIMD16 arguments split into four 128-bit pieces (measured 3–5× slower).
protocol VectorFunction {
    func callAsFunction(_ v: Vec) -> Vec
}

/// A SIMD function of two vectors (see `VectorFunction`).
protocol VectorFunction2 {
    func callAsFunction(_ a: Vec, _ b: Vec) -> Vec
}

/// Elementwise maps over contiguous buffers, split over the compute threads.
enum UnaryKernels {
    /// `output[i] = f(input[i])`.
    static func map<F: VectorFunction>(_ f: F, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                       _ count: Int, grain: Int = elementwiseGrain) {
        Parallel.forEachChunk(count, grain: grain) { range in
            mapVectors(f, input + range.lowerBound, output + range.lowerBound, range.count)
        }
    }

    /// `output[i] = f(a[i], b[i])`.
    static func map<F: VectorFunction2>(_ f: F, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                        _ output: UnsafeMutablePointer<Float>, _ count: Int, grain: Int = elementwiseGrain) {
        Parallel.forEachChunk(count, grain: grain) { range in
            mapVectors(f, a + range.lowerBound, b + range.lowerBound, output + range.lowerBound, range.count)
        }
    }

    /// `output[i] = transform(input[i])` through a scalar function (for ops off the hot path:
    /// log, tanh, pow, sqrt).
    static func mapScalar(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ count: Int,
                          _ transform: (Float) -> Float) {
        Parallel.forEachChunk(count, grain: elementwiseGrain / 4) { range in
            for i in range { output[i] = transform(input[i]) }
        }
    }
}

// MARK: - Elementwise functions

struct Negate: VectorFunction {
    @inline(__always) func callAsFunction(_ v: Vec) -> Vec { -v }
}

struct Scale: VectorFunction {
    let factor: Vec
    init(_ factor: Float) { self.factor = Vec(repeating: factor) }
    @inline(__always) func callAsFunction(_ v: Vec) -> Vec { v * factor }
}

/// a + s·b
struct AddScaled: VectorFunction2 {
    let factor: Vec
    init(_ factor: Float) { self.factor = Vec(repeating: factor) }
    @inline(__always) func callAsFunction(_ a: Vec, _ b: Vec) -> Vec { a + factor * b }
}

struct Exponential: VectorFunction {
    @inline(__always) func callAsFunction(_ v: Vec) -> Vec { vexp(v) }
}

/// s·eˣ
struct ScaledExponential: VectorFunction {
    let factor: Vec
    init(_ factor: Float) { self.factor = Vec(repeating: factor) }
    @inline(__always) func callAsFunction(_ v: Vec) -> Vec { vexp(v) * factor }
}

struct Sigmoid: VectorFunction {
    @inline(__always) func callAsFunction(_ v: Vec) -> Vec { vsigmoid(v) }
}

struct ReLU: VectorFunction {
    @inline(__always) func callAsFunction(_ v: Vec) -> Vec {
        var r = v
        r.replace(with: Vec(repeating: 0), where: v .< 0)
        return r
    }
}

/// g where x > 0, else 0 (ReLU's backward: a is x, b is g).
struct ReLUBackward: VectorFunction2 {
    @inline(__always) func callAsFunction(_ x: Vec, _ g: Vec) -> Vec {
        var r = Vec(repeating: 0)
        r.replace(with: g, where: x .> 0)
        return r
    }
}
