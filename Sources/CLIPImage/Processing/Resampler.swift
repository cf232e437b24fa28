import Foundation

/// Pillow's two-pass separable resampling (`ImagingResample`): a horizontal pass over the rows the
/// vertical pass needs, then a vertical pass; 8-bit images in fixed point, 16-bit in doubles.
enum Resampler {
    static let precisionBits = 32 - 8 - 2

    /// Resizes the `box` region of `image` to `width`×`height` with `filter` (not nearest).
    static func resample(_ image: PixelImage, width: Int, height: Int, filter: ResampleFilter, box: (Float, Float, Float, Float)) -> PixelImage {
        let needHorizontal = width != image.width || box.0 != 0 || box.2 != Float(width)
        let needVertical = height != image.height || box.1 != 0 || box.3 != Float(height)
        var vertical = ResampleCoefficients(inputSize: image.height, in0: box.1, in1: box.3, outputSize: height, filter: filter)
        let firstRow = vertical.bounds[0].start
        let lastRow = vertical.bounds[height - 1].start + vertical.bounds[height - 1].count

        var current = image
        if needHorizontal {
            let horizontal = ResampleCoefficients(inputSize: image.width, in0: box.0, in1: box.2, outputSize: width, filter: filter)
            for i in vertical.bounds.indices { vertical.bounds[i].start -= firstRow }
            current = pass(image, coefficients: horizontal, horizontal: true, outputWidth: width,
                           outputHeight: lastRow - firstRow, rowOffset: firstRow)
        }
        if needVertical {
            current = pass(current, coefficients: vertical, horizontal: false, outputWidth: current.width,
                           outputHeight: height, rowOffset: 0)
        }
        return current
    }

    private static func pass(_ image: PixelImage, coefficients: ResampleCoefficients, horizontal: Bool,
                             outputWidth: Int, outputHeight: Int, rowOffset: Int) -> PixelImage {
        if image.mode == .luminance16 {
            return image.with(width: outputWidth, height: outputHeight,
                              samples16: pass16(image, coefficients, horizontal, outputWidth, outputHeight, rowOffset))
        }
        return image.with(width: outputWidth, height: outputHeight,
                          samples: pass8(image, coefficients, horizontal, outputWidth, outputHeight, rowOffset))
    }

    private static func pass8(_ image: PixelImage, _ coefficients: ResampleCoefficients, _ horizontal: Bool,
                              _ outputWidth: Int, _ outputHeight: Int, _ rowOffset: Int) -> [UInt8] {
        let channels = image.mode.channels
        let weights = coefficients.fixedPointWeights()
        let kernelSize = coefficients.kernelSize
        let inputWidth = image.width
        var output = [UInt8](repeating: 0, count: outputWidth * outputHeight * channels)
        let rounding = Int32(1 << (precisionBits - 1))
        image.samples.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                let outBase = UncheckedPointer(out.baseAddress!)
                let inBase = input.baseAddress!
                rowsInParallel(outputHeight, work: outputWidth * kernelSize * channels) { rows in
                    var sums = [Int32](repeating: 0, count: channels)
                    for yy in rows {
                        for xx in 0..<outputWidth {
                            let (start, count) = horizontal ? coefficients.bounds[xx] : coefficients.bounds[yy]
                            let k = (horizontal ? xx : yy) * kernelSize
                            for c in 0..<channels { sums[c] = rounding }
                            for i in 0..<count {
                                let source = horizontal
                                    ? ((yy + rowOffset) * inputWidth + start + i) * channels
                                    : ((start + i) * inputWidth + xx) * channels
                                let w = weights[k + i]
                                for c in 0..<channels { sums[c] &+= Int32(inBase[source + c]) &* w }
                            }
                            let target = (yy * outputWidth + xx) * channels
                            for c in 0..<channels { outBase.pointer[target + c] = clip8(sums[c]) }
                        }
                    }
                }
            }
        }
        return output
    }

    private static func pass16(_ image: PixelImage, _ coefficients: ResampleCoefficients, _ horizontal: Bool,
                               _ outputWidth: Int, _ outputHeight: Int, _ rowOffset: Int) -> [UInt16] {
        let kernelSize = coefficients.kernelSize
        var output = [UInt16](repeating: 0, count: outputWidth * outputHeight)
        for yy in 0..<outputHeight {
            for xx in 0..<outputWidth {
                let (start, count) = horizontal ? coefficients.bounds[xx] : coefficients.bounds[yy]
                let k = (horizontal ? xx : yy) * kernelSize
                var sum = 0.0
                for i in 0..<count {
                    let source = horizontal ? (yy + rowOffset) * image.width + start + i : (start + i) * image.width + xx
                    sum += Double(image.samples16[source]) * coefficients.weights[k + i]
                }
                // ROUND_UP (half away from zero), then CLIP16, as Pillow's macros.
                let rounded = sum >= 0 ? Int(sum + 0.5) : Int(sum - 0.5)
                output[yy * outputWidth + xx] = UInt16(min(max(rounded, 0), 65535))
            }
        }
        return output
    }

    /// Pillow's `clip8`: the fixed-point sum shifted down and clamped to 0…255.
    @inline(__always) static func clip8(_ value: Int32) -> UInt8 {
        let shifted = value >> Int32(precisionBits)
        return shifted <= 0 ? 0 : shifted >= 255 ? 255 : UInt8(shifted)
    }

    /// Runs `body` over row ranges on several threads when there is enough work.
    static func rowsInParallel(_ rows: Int, work perRow: Int, _ body: (Range<Int>) -> Void) {
        let threads = min(ProcessInfo.processInfo.activeProcessorCount, rows)
        guard threads > 1, rows * perRow > 1 << 18 else {
            body(0..<rows)
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                work.value(rows * part / threads..<rows * (part + 1) / threads)
            }
        }
    }
}

/// A pointer that chunks of a parallel loop write to disjointly.
struct UncheckedPointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
