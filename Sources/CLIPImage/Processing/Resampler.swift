import Foundation

/// Pillow's two-pass separable resampling (`ImagingResample`): a horizontal pass over the rows the
/// vertical pass needs, then a vertical pass; 8-bit images in fixed point, 16-bit in doubles.
enum Resampler {
    static let precisionBits = 32 - 8 - 2

    /// Resizes the `box` region of `image` to `width`×`height` with `filter` (not nearest), computing
    /// only the output `window` (default: all of it): the same pixels as resizing, then cropping.
    static func resample(_ image: PixelImage, width: Int, height: Int, filter: ResampleFilter, box: (Float, Float, Float, Float),
                         window: PixelWindow? = nil) -> PixelImage {
        let window = window ?? PixelWindow(columns: 0..<width, rows: 0..<height)
        let needHorizontal = width != image.width || box.0 != 0 || box.2 != Float(width)
        let needVertical = height != image.height || box.1 != 0 || box.3 != Float(height)
        let vertical = needVertical
            ? ResampleCoefficients(inputSize: image.height, in0: box.1, in1: box.3, outputSize: height, filter: filter, outputs: window.rows)
            : nil
        // The input rows the vertical pass reads (the window's own rows when there is none); the
        // horizontal pass, or a crop, keeps only those, and the window's columns.
        let firstRow = vertical.map { $0.bounds[0].start } ?? window.rows.lowerBound
        let lastRow = vertical.map { $0.bounds[window.rows.count - 1].start + $0.bounds[window.rows.count - 1].count } ?? window.rows.upperBound
        var current: PixelImage
        if needHorizontal {
            let horizontal = ResampleCoefficients(inputSize: image.width, in0: box.0, in1: box.2, outputSize: width, filter: filter,
                                                  outputs: window.columns)
            current = pass(image, coefficients: horizontal, horizontal: true, outputWidth: window.columns.count,
                           outputHeight: lastRow - firstRow, rowOffset: firstRow)
        } else {
            current = image.cropped(left: window.columns.lowerBound, top: firstRow, width: window.columns.count, height: lastRow - firstRow)
        }
        if var vertical {
            for i in vertical.bounds.indices { vertical.bounds[i].start -= firstRow }
            current = pass(current, coefficients: vertical, horizontal: false, outputWidth: current.width,
                           outputHeight: window.rows.count, rowOffset: 0)
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

    /// One 8-bit pass in Pillow's fixed point. Integer sums do not depend on their order, so the
    /// vertical pass accumulates whole rows (vectorisable) instead of Pillow's column walk.
    private static func pass8(_ image: PixelImage, _ coefficients: ResampleCoefficients, _ horizontal: Bool,
                              _ outputWidth: Int, _ outputHeight: Int, _ rowOffset: Int) -> [UInt8] {
        let channels = image.mode.channels
        let weights = coefficients.fixedPointWeights()
        let kernelSize = coefficients.kernelSize
        let inputRow = image.width * channels
        let outputRow = outputWidth * channels
        let rounding = Int32(1 << (precisionBits - 1))
        var output = [UInt8](repeating: 0, count: outputRow * outputHeight)
        image.samples.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                weights.withUnsafeBufferPointer { weights in
                    let source = input.baseAddress!, target = out.baseAddress!, k = weights.baseAddress!
                    if horizontal {
                        for yy in 0..<outputHeight {
                            let line = source + (yy + rowOffset) * inputRow
                            let outLine = target + yy * outputRow
                            for xx in 0..<outputWidth {
                                let (start, count) = coefficients.bounds[xx]
                                horizontalPixel(line + start * channels, k + xx * kernelSize, count, channels,
                                                rounding, outLine + xx * channels)
                            }
                        }
                    } else {
                        var sums = [Int32](repeating: 0, count: outputRow)
                        sums.withUnsafeMutableBufferPointer { sums in
                            let acc = sums.baseAddress!
                            for yy in 0..<outputHeight {
                                let (start, count) = coefficients.bounds[yy]
                                acc.update(repeating: rounding, count: outputRow)
                                for i in 0..<count {
                                    let w = k[yy * kernelSize + i]
                                    let line = source + (start + i) * inputRow
                                    for j in 0..<outputRow { acc[j] &+= Int32(line[j]) &* w }
                                }
                                let outLine = target + yy * outputRow
                                for j in 0..<outputRow { outLine[j] = clip8(acc[j]) }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    @inline(__always)
    private static func horizontalPixel(_ pixels: UnsafePointer<UInt8>, _ weights: UnsafePointer<Int32>, _ count: Int,
                                        _ channels: Int, _ rounding: Int32, _ out: UnsafeMutablePointer<UInt8>) {
        switch channels {
        case 1:
            var s0 = rounding
            for i in 0..<count { s0 &+= Int32(pixels[i]) &* weights[i] }
            out[0] = clip8(s0)
        case 3:
            var (s0, s1, s2) = (rounding, rounding, rounding)
            for i in 0..<count {
                let w = weights[i], p = pixels + i * 3
                s0 &+= Int32(p[0]) &* w; s1 &+= Int32(p[1]) &* w; s2 &+= Int32(p[2]) &* w
            }
            out[0] = clip8(s0); out[1] = clip8(s1); out[2] = clip8(s2)
        default:
            var sums = (rounding, rounding, rounding, rounding)
            for i in 0..<count {
                let w = weights[i], p = pixels + i * channels
                sums.0 &+= Int32(p[0]) &* w
                sums.1 &+= Int32(p[1]) &* w
                if channels > 2 { sums.2 &+= Int32(p[2]) &* w }
                if channels > 3 { sums.3 &+= Int32(p[3]) &* w }
            }
            out[0] = clip8(sums.0)
            out[1] = clip8(sums.1)
            if channels > 2 { out[2] = clip8(sums.2) }
            if channels > 3 { out[3] = clip8(sums.3) }
        }
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
}
