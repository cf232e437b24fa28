import CGEMMKernels

/// Dot products of a float32 query with single rows of a mapped vector file, by the SIMD kernels of
/// CGEMMKernels. Valid only inside `VectorMatrix.withRows`, whose pointer it holds.
struct RowScorer {
    let base: UnsafeRawPointer
    let rowBytes: Int
    let width: Int
    let element: VectorElement

    init(base: UnsafeRawPointer, matrix: VectorMatrix) {
        self.base = base
        rowBytes = matrix.rowBytes
        width = matrix.width
        element = matrix.element
    }

    /// `row · query` (the query `width` floats).
    @inline(__always)
    func score(_ row: Int, _ query: UnsafePointer<Float>) -> Float {
        let start = base + row * rowBytes
        switch element {
        case .float16: return clip_dot_f16(start.assumingMemoryBound(to: UInt16.self), query, width)
        case .float32: return clip_dot_f32(start.assumingMemoryBound(to: Float.self), query, width)
        }
    }

    /// Asks the CPU to start loading row `row` (its first cache lines) before it is scored.
    @inline(__always)
    func prefetch(_ row: Int) {
        clip_prefetch(base + row * rowBytes)
    }

    /// Row `row` as floats, into `target` (`width` floats).
    func widen(_ row: Int, into target: UnsafeMutablePointer<Float>) {
        let start = base + row * rowBytes
        switch element {
        case .float16: VectorMatrix.widen(start, count: width, into: target)
        case .float32: target.update(from: start.assumingMemoryBound(to: Float.self), count: width)
        }
    }
}
