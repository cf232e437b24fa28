// 2-D convolution (im2col + GEMM) and average pooling, NCHW.
// Legend: N images, C input channels, O output channels, H×W input, KH×KW kernel, OH×OW output.

/// Geometry of one 2-D sliding window op.
struct WindowGeometry {
    let channels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideY: Int, strideX: Int
    let paddingY: Int, paddingX: Int

    var outputHeight: Int { (height + 2 * paddingY - kernelHeight) / strideY + 1 }
    var outputWidth: Int { (width + 2 * paddingX - kernelWidth) / strideX + 1 }
    var patchSize: Int { channels * kernelHeight * kernelWidth }
    var outputPixels: Int { outputHeight * outputWidth }

    /// Unfolds one image `[C, H, W]` into columns `[C·KH·KW, OH·OW]` (zeros where padded).
    func im2col(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(patchSize, grain: Swift.max(1, elementwiseGrain / Swift.max(outputPixels, 1))) { rows in
            for row in rows {
                let kx = row % kernelWidth
                let ky = (row / kernelWidth) % kernelHeight
                let c = row / (kernelWidth * kernelHeight)
                let target = columns + row * outputPixels
                let plane = image + c * height * width
                for oy in 0..<outputHeight {
                    let iy = oy * strideY - paddingY + ky
                    let line = target + oy * outputWidth
                    guard iy >= 0 && iy < height else {
                        line.update(repeating: 0, count: outputWidth)
                        continue
                    }
                    for ox in 0..<outputWidth {
                        let ix = ox * strideX - paddingX + kx
                        line[ox] = ix >= 0 && ix < width ? plane[iy * width + ix] : 0
                    }
                }
            }
        }
    }

    /// Adds columns `[C·KH·KW, OH·OW]` back into one image gradient `[C, H, W]` (the adjoint of im2col).
    func col2imAdd(_ columns: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        // Channels are independent, so split over channels.
        Parallel.forEachChunk(channels, grain: 1) { channelRange in
            for c in channelRange {
                let plane = image + c * height * width
                for ky in 0..<kernelHeight {
                    for kx in 0..<kernelWidth {
                        let row = (c * kernelHeight + ky) * kernelWidth + kx
                        let source = columns + row * outputPixels
                        for oy in 0..<outputHeight {
                            let iy = oy * strideY - paddingY + ky
                            guard iy >= 0 && iy < height else { continue }
                            for ox in 0..<outputWidth {
                                let ix = ox * strideX - paddingX + kx
                                if ix >= 0 && ix < width { plane[iy * width + ix] += source[oy * outputWidth + ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// 2-D convolution of `input` `[N, C, H, W]` with `weight` `[O, C, KH, KW]` and optional `bias`
/// `[O]`, as `torch.nn.functional.conv2d` with groups = 1 and dilation = 1. Output `[N, O, OH, OW]`.
///
/// With a `packing` cache in bf16 or int8, a convolution that records no gradient multiplies in that
/// precision, each output pixel's window a row (so int8 quantises per pixel, as per token). Inside
/// `withBF16Products` it multiplies bf16-rounded operands, forward and backward.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), packing: PackedWeightCache? = nil) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4, "conv2d expects [N, C, H, W] input and [O, C, KH, KW] weight")
    precondition(weight.shape[1] == input.shape[1],
                 "conv2d weight \(Shape.describe(weight.shape)) for \(input.shape[1]) input channels")
    let (images, outChannels) = (input.shape[0], weight.shape[0])
    if let bias { precondition(bias.shape == [outChannels], "conv2d bias \(Shape.describe(bias.shape))") }
    let geometry = WindowGeometry(channels: input.shape[1], height: input.shape[2], width: input.shape[3],
                                  kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                  strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1)
    precondition(stride.0 >= 1 && stride.1 >= 1 && geometry.outputHeight >= 1 && geometry.outputWidth >= 1,
                 "conv2d window does not fit the input \(Shape.describe(input.shape))")
    let (patch, pixels) = (geometry.patchSize, geometry.outputPixels)
    let imageSize = geometry.channels * geometry.height * geometry.width
    let out = Tensor.uninitialized([images, outChannels, geometry.outputHeight, geometry.outputWidth])
    let columns = UnsafeMutablePointer<Float>.allocate(capacity: patch * pixels)
    defer { columns.deallocate() }
    let recordsGradient = GradMode.isEnabled && (input.requiresGrad || weight.requiresGrad)
    let mixed = Autocast.isBF16
    let (pixelsIn, kernel, offset) = (input.productOperand, weight.productOperand, bias?.productOperand)  // bf16-rounded in mixed precision
    let converted = recordsGradient || mixed ? nil : packing?.lowPrecisionWeight(for: weight.reshaped([outChannels, patch]))
    let (windows, product) = converted == nil ? (nil, nil) : (Tensor.uninitialized([pixels, patch]), Tensor.uninitialized([pixels, outChannels]))
    withExtendedLifetime((pixelsIn, kernel, offset, windows, product)) {
        for n in 0..<images {
            geometry.im2col(pixelsIn.pointer + n * imageSize, columns)
            let target = out.pointer + n * outChannels * pixels
            if let converted, let windows, let product {
                permuteCopy(source: columns, sourceStrides: [1, pixels], shape: [pixels, patch], into: windows.pointer)  // [OH·OW, CKK]
                GEMM.multiply(m: pixels, a: windows.pointer, lowPrecision: converted, beta: 0, c: product.pointer)
                permuteCopy(source: product.pointer, sourceStrides: [1, outChannels], shape: [outChannels, pixels], into: target)  // [O, OH·OW]
            } else {
                GEMM.multiply(m: outChannels, n: pixels, k: patch, a: kernel.pointer, b: columns, c: target)  // [O, CKK]·[CKK, OH·OW]
            }
            if let offset {
                for o in 0..<outChannels {
                    let value = Vec(repeating: offset.pointer[o])
                    mapVectors(target + o * pixels, target + o * pixels, pixels) { $0 + value }
                }
            }
        }
    }
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    return out.recordingGradient(of: inputs) { g in
        let gradInput = input.requiresGrad ? Tensor.zeros(input.shape) : nil
        let gradWeight = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: patch * pixels)
        defer { columns.deallocate() }
        let product = mixed ? g.roundedToBF16() : g
        withExtendedLifetime((product, pixelsIn, kernel)) {
            for n in 0..<images {
                let gradOut = product.pointer + n * outChannels * pixels
                if let gradWeight {
                    geometry.im2col(pixelsIn.pointer + n * imageSize, columns)
                    GEMM.multiply(transposeB: true, m: outChannels, n: patch, k: pixels,
                                  a: gradOut, b: columns, beta: 1, c: gradWeight.pointer)  // Σ dOut·colsᵀ
                }
                if let gradInput {
                    GEMM.multiply(transposeA: true, m: patch, n: pixels, k: outChannels,
                                  a: kernel.pointer, b: gradOut, c: columns)               // Wᵀ·dOut
                    geometry.col2imAdd(columns, gradInput.pointer + n * imageSize)
                }
            }
        }
        var grads: [Tensor?] = [gradInput, gradWeight]
        if let bias {
            grads.append(bias.requiresGrad ? g.sum(alongAxes: [0, 2, 3]) : nil)
        }
        return grads
    }
}

/// Average pooling over `[N, C, H, W]` with a square or rectangular window, as
/// `torch.nn.functional.avg_pool2d` (padding counted in the divisor, floor mode).
public func avgPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
    precondition(input.rank == 4, "avgPool2d expects [N, C, H, W], got \(Shape.describe(input.shape))")
    let stride = stride ?? kernel
    let geometry = WindowGeometry(channels: input.shape[1], height: input.shape[2], width: input.shape[3],
                                  kernelHeight: kernel.0, kernelWidth: kernel.1,
                                  strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1)
    precondition(geometry.outputHeight >= 1 && geometry.outputWidth >= 1, "avgPool2d window does not fit \(Shape.describe(input.shape))")
    let planes = input.shape[0] * input.shape[1]
    let (h, w, oh, ow) = (geometry.height, geometry.width, geometry.outputHeight, geometry.outputWidth)
    let divisor = Float(kernel.0 * kernel.1)
    let out = Tensor.uninitialized([input.shape[0], input.shape[1], oh, ow])
    // Visits every in-bounds input pixel of every output window: body(planeOffsetIn, outIndex).
    func forEachWindowPixel(_ planesRange: Range<Int>, _ body: (Int, Int) -> Void) {
        for plane in planesRange {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let outIndex = (plane * oh + oy) * ow + ox
                    for ky in 0..<kernel.0 {
                        let iy = oy * stride.0 - padding.0 + ky
                        guard iy >= 0 && iy < h else { continue }
                        for kx in 0..<kernel.1 {
                            let ix = ox * stride.1 - padding.1 + kx
                            if ix >= 0 && ix < w { body((plane * h + iy) * w + ix, outIndex) }
                        }
                    }
                }
            }
        }
    }
    out.pointer.update(repeating: 0, count: out.count)
    Parallel.forEachChunk(planes, grain: 1) { range in
        forEachWindowPixel(range) { i, o in out.pointer[o] += input.pointer[i] }
        for o in (range.lowerBound * oh * ow)..<(range.upperBound * oh * ow) { out.pointer[o] /= divisor }
    }
    return out.recordingGradient(of: [input]) { g in
        let grad = Tensor.zeros(input.shape)
        withExtendedLifetime(g) {
            Parallel.forEachChunk(planes, grain: 1) { range in
                forEachWindowPixel(range) { i, o in grad.pointer[i] += g.pointer[o] / divisor }
            }
        }
        return [grad]
    }
}

/// Rows of `weight` `[V, D]` looked up by `indices`, shaped `shape + [D]` (as `nn.Embedding`).
/// The gradient adds into the rows that were read.
public func embedding(_ weight: Tensor, indices: [Int], shape: [Int]) -> Tensor {
    precondition(weight.rank == 2, "embedding weight must be [V, D], got \(Shape.describe(weight.shape))")
    precondition(Shape.count(shape) == indices.count, "\(indices.count) indices for shape \(Shape.describe(shape))")
    return weight.gatheringRows(indices).reshaped(shape + [weight.shape[1]])
}
