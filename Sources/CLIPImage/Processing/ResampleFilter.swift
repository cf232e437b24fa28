import Foundation

/// Pillow's resampling filters (Resample.c), evaluated in double precision as Pillow does.
public enum ResampleFilter: String, Sendable, CaseIterable {
    case nearest, bilinear, bicubic

    /// Half-width of the filter kernel at scale 1.
    var support: Double {
        switch self {
        case .nearest: return 0
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    func weight(_ value: Double) -> Double {
        let x = abs(value)
        switch self {
        case .nearest:
            return 0
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            // Keys' cubic convolution with a = −0.5.
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

/// The per-output-pixel source ranges and weights of one resampling pass.
struct ResampleCoefficients {
    /// Weights per output pixel (`kernelSize` each, zero-padded).
    let kernelSize: Int
    /// First source index and number of source pixels per output pixel.
    var bounds: [(start: Int, count: Int)]
    let weights: [Double]

    /// Pillow's `precompute_coeffs`: `in0`, `in1` are the box edges in single precision, as there.
    /// Only the output pixels in `outputs` (default: all) get coefficients, indexed from 0: a crop of
    /// the resized image computes the same values without the rest of it.
    init(inputSize: Int, in0: Float, in1: Float, outputSize: Int, filter: ResampleFilter, outputs: Range<Int>? = nil) {
        let outputs = outputs ?? 0..<outputSize
        let scale = Double(in1 - in0) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        kernelSize = Int(support.rounded(.up)) * 2 + 1
        var bounds: [(Int, Int)] = []
        bounds.reserveCapacity(outputs.count)
        var weights = [Double](repeating: 0, count: outputs.count * kernelSize)
        let inverseFilterScale = 1 / filterScale
        for (index, xx) in outputs.enumerated() {
            let center = Double(in0) + (Double(xx) + 0.5) * scale
            var xmin = Int(center - support + 0.5)   // C truncation toward zero
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inputSize { xmax = inputSize }
            xmax -= xmin
            var total = 0.0
            for x in 0..<max(xmax, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * inverseFilterScale)
                weights[index * kernelSize + x] = w
                total += w
            }
            if total != 0 {
                for x in 0..<max(xmax, 0) { weights[index * kernelSize + x] /= total }
            }
            bounds.append((xmin, xmax))
        }
        self.bounds = bounds
        self.weights = weights
    }

    /// Pillow's `normalize_coeffs_8bpc`: weights in 22-bit fixed point, rounded half away from zero.
    func fixedPointWeights() -> [Int32] {
        weights.map { $0 < 0 ? Int32(-0.5 + $0 * Double(1 << Resampler.precisionBits)) : Int32(0.5 + $0 * Double(1 << Resampler.precisionBits)) }
    }
}
