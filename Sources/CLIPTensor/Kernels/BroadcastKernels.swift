/// An elementwise binary function with a SIMD and a scalar form that agree exactly.
protocol BinaryKernel {
    static func apply(_ a: Vec, _ b: Vec) -> Vec
}

enum AddKernel: BinaryKernel { @inline(__always) static func apply(_ a: Vec, _ b: Vec) -> Vec { a + b } }
enum SubtractKernel: BinaryKernel { @inline(__always) static func apply(_ a: Vec, _ b: Vec) -> Vec { a - b } }
enum MultiplyKernel: BinaryKernel { @inline(__always) static func apply(_ a: Vec, _ b: Vec) -> Vec { a * b } }
enum DivideKernel: BinaryKernel { @inline(__always) static func apply(_ a: Vec, _ b: Vec) -> Vec { a / b } }

/// Elements below which an elementwise loop is not worth splitting over threads.
let elementwiseGrain = 1 << 16

/// `out = K(a, b)` with numpy broadcasting of `a` (shape `shapeA`) and `b` (`shapeB`) to `outShape`.
///
/// Axes are merged where both operands stay contiguous (or both broadcast), so the innermost loop is
/// always one of four SIMD cases: both contiguous, or one side a repeated scalar.
func broadcastBinary<K: BinaryKernel>(_ kernel: K.Type,
                                      _ a: UnsafePointer<Float>, _ shapeA: [Int],
                                      _ b: UnsafePointer<Float>, _ shapeB: [Int],
                                      _ out: UnsafeMutablePointer<Float>, _ outShape: [Int]) {
    let total = Shape.count(outShape)
    guard total > 0 else { return }
    let layout = BroadcastLayout(outShape: outShape,
                                 stridesA: Shape.broadcastStrides(of: shapeA, to: outShape),
                                 stridesB: Shape.broadcastStrides(of: shapeB, to: outShape))
    let inner = layout.innerCount
    let outer = total / inner
    if outer == 1 {
        Parallel.forEachChunk(inner, grain: elementwiseGrain) { range in
            let offsetA = layout.innerStrideA * range.lowerBound
            let offsetB = layout.innerStrideB * range.lowerBound
            innerLoop(K.self, a + offsetA, layout.innerStrideA, b + offsetB, layout.innerStrideB,
                      out + range.lowerBound, range.count)
        }
        return
    }
    Parallel.forEachChunk(outer, grain: max(1, elementwiseGrain / inner)) { range in
        var index = layout.outerIndex(range.lowerBound)
        for row in range {
            innerLoop(K.self, a + index.offsetA, layout.innerStrideA, b + index.offsetB, layout.innerStrideB,
                      out + row * inner, inner)
            layout.advance(&index)
        }
    }
}

@inline(__always)
private func innerLoop<K: BinaryKernel>(_ kernel: K.Type, _ a: UnsafePointer<Float>, _ strideA: Int,
                                        _ b: UnsafePointer<Float>, _ strideB: Int,
                                        _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    switch (strideA, strideB) {
    case (1, 1):
        mapVectors(a, b, out, count) { K.apply($0, $1) }
    case (1, _):
        let vb = Vec(repeating: b[0])
        mapVectors(a, out, count) { K.apply($0, vb) }
    case (_, 1):
        let va = Vec(repeating: a[0])
        mapVectors(b, out, count) { K.apply(va, $0) }
    default:
        let value = K.apply(Vec(repeating: a[0]), Vec(repeating: b[0]))[0]
        out.update(repeating: value, count: count)
    }
}

/// The broadcast iteration space after merging axes: outer axes walked by an index counter, and
/// one inner run whose operand strides are 0 or 1.
struct BroadcastLayout {
    let outerShape: [Int]
    let outerStridesA: [Int]
    let outerStridesB: [Int]
    let innerCount: Int
    let innerStrideA: Int
    let innerStrideB: Int

    struct Index {
        var coordinates: [Int]
        var offsetA: Int
        var offsetB: Int
    }

    init(outShape: [Int], stridesA: [Int], stridesB: [Int]) {
        // Merge axis i into i+1 when both operands step through them as one longer axis.
        var shape: [Int] = []
        var sa: [Int] = []
        var sb: [Int] = []
        for axis in outShape.indices where outShape[axis] != 1 {
            if let last = shape.indices.last,
               sa[last] == stridesA[axis] * outShape[axis], sb[last] == stridesB[axis] * outShape[axis] {
                shape[last] *= outShape[axis]
                sa[last] = stridesA[axis]
                sb[last] = stridesB[axis]
            } else {
                shape.append(outShape[axis])
                sa.append(stridesA[axis])
                sb.append(stridesB[axis])
            }
        }
        if shape.isEmpty {
            shape = [1]; sa = [0]; sb = [0]
        }
        // The innermost merged axis becomes the inner run if its strides are 0 or 1; otherwise
        // the inner run is a single element.
        let last = shape.count - 1
        if sa[last] <= 1 && sb[last] <= 1 {
            innerCount = shape[last]
            innerStrideA = sa[last]
            innerStrideB = sb[last]
            outerShape = Array(shape[..<last])
            outerStridesA = Array(sa[..<last])
            outerStridesB = Array(sb[..<last])
        } else {
            innerCount = 1
            innerStrideA = 0
            innerStrideB = 0
            outerShape = shape
            outerStridesA = sa
            outerStridesB = sb
        }
    }

    /// The counter position of outer row `row`.
    func outerIndex(_ row: Int) -> Index {
        var coordinates = [Int](repeating: 0, count: outerShape.count)
        var rest = row
        var offsetA = 0
        var offsetB = 0
        for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
            coordinates[axis] = rest % outerShape[axis]
            rest /= outerShape[axis]
            offsetA += coordinates[axis] * outerStridesA[axis]
            offsetB += coordinates[axis] * outerStridesB[axis]
        }
        return Index(coordinates: coordinates, offsetA: offsetA, offsetB: offsetB)
    }

    /// Moves `index` to the next outer row.
    func advance(_ index: inout Index) {
        var axis = outerShape.count - 1
        while axis >= 0 {
            index.coordinates[axis] += 1
            index.offsetA += outerStridesA[axis]
            index.offsetB += outerStridesB[axis]
            if index.coordinates[axis] < outerShape[axis] { return }
            index.offsetA -= outerStridesA[axis] * outerShape[axis]
            index.offsetB -= outerStridesB[axis] * outerShape[axis]
            index.coordinates[axis] = 0
            axis -= 1
        }
    }
}
