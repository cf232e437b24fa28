import CLIPTensor
import Testing

/// The largest absolute elementwise difference between two tensors, and where it occurs.
public struct Difference: CustomStringConvertible, Sendable {
    /// max |a − b| over all elements (infinity when shapes differ or a NaN disagrees).
    public let value: Float
    /// Row-major index of the largest difference.
    public let index: Int
    public let expected: Float
    public let actual: Float
    public let shapeMismatch: String?

    public var description: String {
        if let shapeMismatch { return shapeMismatch }
        return "max |difference| \(value) at element \(index): expected \(expected), got \(actual)"
    }
}

/// Compares `actual` against `expected` elementwise. NaN matches only NaN.
public func maxDifference(_ actual: Tensor, _ expected: Tensor) -> Difference {
    guard actual.shape == expected.shape else {
        return Difference(value: .infinity, index: -1, expected: .nan, actual: .nan,
                          shapeMismatch: "shape \(actual.shape) differs from expected \(expected.shape)")
    }
    return maxDifference(actual.scalars, expected.scalars)
}

/// Compares two arrays elementwise. NaN matches only NaN.
public func maxDifference(_ actual: [Float], _ expected: [Float]) -> Difference {
    guard actual.count == expected.count else {
        return Difference(value: .infinity, index: -1, expected: .nan, actual: .nan,
                          shapeMismatch: "\(actual.count) elements, expected \(expected.count)")
    }
    var worst = Difference(value: 0, index: 0, expected: expected.first ?? 0, actual: actual.first ?? 0, shapeMismatch: nil)
    for i in actual.indices {
        let (a, e) = (actual[i], expected[i])
        let difference: Float
        if a.isNaN || e.isNaN {
            difference = a.isNaN && e.isNaN ? 0 : .infinity
        } else if a == e {
            difference = 0  // also equal infinities
        } else {
            difference = abs(a - e)
        }
        if difference > worst.value || (difference.isNaN && !worst.value.isNaN) {
            worst = Difference(value: difference, index: i, expected: e, actual: a, shapeMismatch: nil)
        }
    }
    return worst
}

/// Expects `actual` to match `expected` elementwise within `tolerance`, naming where it does not.
public func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: @autoclosure () -> String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) {
    let difference = maxDifference(actual, expected)
    #expect(difference.value <= tolerance, "\(what()) \(difference) (tolerance \(tolerance))", sourceLocation: sourceLocation)
}

/// Expects `actual` to match `expected` elementwise within `tolerance`, naming where it does not.
public func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: @autoclosure () -> String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) {
    let difference = maxDifference(actual, expected)
    #expect(difference.value <= tolerance, "\(what()) \(difference) (tolerance \(tolerance))", sourceLocation: sourceLocation)
}

/// Expects `actual` to match `expected` within `relativeTolerance` times the larger of 1 and the
/// largest finite magnitude in `expected` (for values whose scale varies from case to case).
public func expectClose(_ actual: Tensor, _ expected: Tensor, relativeTolerance: Float, _ what: @autoclosure () -> String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = max(1, expected.scalars.filter(\.isFinite).map(abs).max() ?? 1)
    expectClose(actual, expected, tolerance: relativeTolerance * scale, what(), sourceLocation: sourceLocation)
}

/// The cosine similarity of two vectors, summed in double precision.
public func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Double {
    var (dot, normA, normB) = (0.0, 0.0, 0.0)
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        normA += Double(x) * Double(x)
        normB += Double(y) * Double(y)
    }
    return dot / (normA.squareRoot() * normB.squareRoot())
}
