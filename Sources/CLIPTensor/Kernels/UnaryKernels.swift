/// Elementwise maps over contiguous buffers, split over the compute threads.
enum UnaryKernels {
    /// `output[i] = transform(input[i])` with a SIMD transform.
    @inline(__always)
    static func map(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ count: Int,
                    grain: Int = elementwiseGrain, _ transform: (Vec) -> Vec) {
        Parallel.forEachChunk(count, grain: grain) { range in
            mapVectors(input + range.lowerBound, output + range.lowerBound, range.count, transform)
        }
    }

    /// `output[i] = transform(a[i], b[i])` with a SIMD transform.
    @inline(__always)
    static func map(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                    _ count: Int, grain: Int = elementwiseGrain, _ transform: (Vec, Vec) -> Vec) {
        Parallel.forEachChunk(count, grain: grain) { range in
            mapVectors(a + range.lowerBound, b + range.lowerBound, output + range.lowerBound, range.count, transform)
        }
    }

    /// `output[i] = transform(input[i])` through a scalar function (for ops off the hot path:
    /// log, tanh, pow, sqrt).
    @inline(__always)
    static func mapScalar(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ count: Int,
                          _ transform: (Float) -> Float) {
        Parallel.forEachChunk(count, grain: elementwiseGrain / 4) { range in
            for i in range { output[i] = transform(input[i]) }
        }
    }
}
