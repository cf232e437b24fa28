import Foundation

/// Training augmentation as open_clip's default train transform: torchvision's `RandomResizedCrop`
/// (area scale and log-uniform aspect ratio, ten tries then a centre fallback, bicubic resize) and
/// an optional horizontal flip, drawing from a seeded generator.
public struct RandomResizedCrop: Sendable {
    /// The output's side.
    public var size: Int
    /// Fraction of the image area kept (open_clip's default: 0.9…1.0).
    public var scale: ClosedRange<Double>
    /// Width/height ratio range (torchvision's default: 3/4…4/3).
    public var ratio: ClosedRange<Double>
    /// Probability of mirroring left to right (open_clip: 0).
    public var flipProbability: Double
    /// The resampling filter of the resize.
    public var filter: ResampleFilter

    /// A transform to `size`×`size` with torchvision's scale and ratio ranges (open_clip's defaults).
    public init(size: Int, scale: ClosedRange<Double> = 0.9...1.0, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3),
                flipProbability: Double = 0, filter: ResampleFilter = .bicubic) {
        self.size = size
        self.scale = scale
        self.ratio = ratio
        self.flipProbability = flipProbability
        self.filter = filter
    }

    /// A crop box `(top, left, height, width)` for an image, as torchvision's `get_params`.
    public func cropBox<G: RandomNumberGenerator>(width: Int, height: Int, using generator: inout G) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(width * height)
        let logRatio = (Foundation.log(ratio.lowerBound), Foundation.log(ratio.upperBound))
        for _ in 0..<10 {
            let targetArea = area * Double.random(in: scale.lowerBound...scale.upperBound, using: &generator)
            let aspect = Foundation.exp(Double.random(in: logRatio.0...logRatio.1, using: &generator))
            let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= width && h > 0 && h <= height {
                let top = Int.random(in: 0...(height - h), using: &generator)
                let left = Int.random(in: 0...(width - w), using: &generator)
                return (top, left, h, w)
            }
        }
        let inputRatio = Double(width) / Double(height)
        var (w, h) = (width, height)
        if inputRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inputRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    /// `resized_crop` of a given box: crop, then resize to `size`×`size`.
    public func apply(_ image: PixelImage, box: (top: Int, left: Int, height: Int, width: Int)) -> PixelImage {
        image.cropped(left: box.left, top: box.top, width: box.width, height: box.height)
            .resized(width: size, height: size, filter: filter)
    }

    /// A random crop (and maybe a flip) of `image`, converted to RGB.
    public func callAsFunction<G: RandomNumberGenerator>(_ image: PixelImage, using generator: inout G) -> RGBImage {
        var result = apply(image, box: cropBox(width: image.width, height: image.height, using: &generator))
        if flipProbability > 0 && Double.random(in: 0..<1, using: &generator) < flipProbability {
            result = result.flippedHorizontally()
        }
        return result.convertedToRGB()
    }
}
