// Non-overlapping patches as rows: the input of a ViT's patch embedding, which then is one GEMM.
// Legend: N images, C channels, H×W pixels, P patch side, Gh×Gw patch grid.

/// `[N, C, H, W]` → `[N, Gh·Gw, C·P·P]`: patch (gy, gx) row-major, each flattened channel-major then
/// row-major, the order of a `[O, C, P, P]` convolution kernel, so that
/// `linear(patchified(x), weight.reshaped([O, -1]))` equals a stride-P convolution (transposed to
/// tokens). Pixels beyond the last whole patch are dropped, as such a convolution drops them.
public func patchified(_ images: Tensor, patchSize p: Int) -> Tensor {
    precondition(images.rank == 4 && p > 0, "patchified expects [N, C, H, W], got \(Shape.describe(images.shape))")
    let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    let (gh, gw) = (h / p, w / p)
    let patchLength = c * p * p
    let out = Tensor.uninitialized([n, gh * gw, patchLength])
    // Visits each (image, patch, channel, patch row): a run of P contiguous pixels.
    func forEachRun(_ body: (_ pixel: Int, _ element: Int) -> Void) {
        for image in 0..<n {
            for gy in 0..<gh {
                for gx in 0..<gw {
                    let patchBase = ((image * gh + gy) * gw + gx) * patchLength
                    for channel in 0..<c {
                        for ky in 0..<p {
                            body(((image * c + channel) * h + gy * p + ky) * w + gx * p, patchBase + (channel * p + ky) * p)
                        }
                    }
                }
            }
        }
    }
    withExtendedLifetime(images) {
        forEachRun { pixel, element in (out.pointer + element).update(from: images.pointer + pixel, count: p) }
    }
    return out.recordingGradient(of: [images]) { g in
        let grad = Tensor.zeros(images.shape)
        withExtendedLifetime(g) {
            forEachRun { pixel, element in (grad.pointer + pixel).update(from: g.pointer + element, count: p) }
        }
        return [grad]
    }
}
