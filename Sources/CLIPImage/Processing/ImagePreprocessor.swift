import Foundation

/// CLIP's inference preprocessing, as open_clip's `image_transform(size, is_train=False)` with
/// torchvision and Pillow: resize the shorter side to `size` (Pillow bicubic with antialiasing),
/// centre-crop `size`×`size`, convert to RGB, scale to [0, 1] and normalise per channel.
///
/// ```swift
/// let preprocessor = ImagePreprocessor(size: 224)
/// let pixels = preprocessor(try ImageDecoder().decode(contentsOf: "cat.jpg"))   // [3 · 224 · 224]
/// ```
public struct ImagePreprocessor: Sendable, Equatable {
    /// OpenAI CLIP's normalisation (also open_clip's default).
    public static let openAIMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    /// OpenAI CLIP's per-channel standard deviation.
    public static let openAIStandardDeviation: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// How the image is brought to the output size.
    public enum ResizeMode: String, Sendable {
        /// Shorter side to `size`, then centre crop (the reference default).
        case shortest
        /// Both sides to `size`, aspect ratio not kept.
        case squash
    }

    /// Output height and width.
    public var size: Int
    /// Per-channel mean subtracted after scaling to [0, 1].
    public var mean: [Float]
    /// Per-channel standard deviation divided by.
    public var standardDeviation: [Float]
    /// The resampling filter of the resize.
    public var filter: ResampleFilter
    /// How the image is brought to the square size.
    public var resizeMode: ResizeMode

    /// A preprocessor to `size`×`size` with these settings (OpenAI CLIP's by default).
    public init(size: Int = 224, mean: [Float] = ImagePreprocessor.openAIMean,
                standardDeviation: [Float] = ImagePreprocessor.openAIStandardDeviation,
                filter: ResampleFilter = .bicubic, resizeMode: ResizeMode = .shortest) {
        self.size = size
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.filter = filter
        self.resizeMode = resizeMode
    }

    /// Throws when a parameter is out of range (size, three means, three positive deviations).
    public func validate() throws {
        guard size >= 1 && size <= 16_384 else { throw ImageError.invalidParameter("image size must be 1…16384, got \(size)") }
        guard mean.count == 3, mean.allSatisfy(\.isFinite) else { throw ImageError.invalidParameter("mean needs 3 finite values, got \(mean)") }
        guard standardDeviation.count == 3, standardDeviation.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ImageError.invalidParameter("std needs 3 positive values, got \(standardDeviation)")
        }
    }

    /// The normalised `[3, size, size]` channel-major floats for `image`.
    public func callAsFunction(_ image: PixelImage) -> [Float] {
        normalized(rgb(image))
    }

    /// The 8-bit RGB pixels after resize, crop and conversion, before normalisation.
    public func rgb(_ image: PixelImage) -> RGBImage {
        switch resizeMode {
        case .squash:
            return image.resized(width: size, height: size, filter: filter).convertedToRGB()
        case .shortest:
            let (width, height) = Self.shorterSideSize(width: image.width, height: image.height, to: size)
            guard width != image.width || height != image.height else { return Self.centerCropped(image, size: size).convertedToRGB() }
            // The long side is at least `size`, so the centre crop lies inside the resized image: only
            // that window is computed (the same pixels as resizing everything, then cropping).
            let left = Int((Double(width - size) / 2).rounded(.toNearestOrEven))
            let top = Int((Double(height - size) / 2).rounded(.toNearestOrEven))
            return image.resized(width: width, height: height, filter: filter,
                                 window: PixelWindow(columns: left..<(left + size), rows: top..<(top + size))).convertedToRGB()
        }
    }

    /// `ToTensor` then `Normalize`: (value / 255 − mean) / std in Float32, channel-major.
    public func normalized(_ image: RGBImage) -> [Float] {
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            let (m, s) = (mean[c], standardDeviation[c])
            for i in 0..<plane { out[c * plane + i] = (Float(image.pixels[i * 3 + c]) / 255 - m) / s }
        }
        return out
    }

    /// torchvision's shorter-side rule: the short side becomes `size`, the long side
    /// `int(size · long / short)`.
    public static func shorterSideSize(width: Int, height: Int, to size: Int) -> (width: Int, height: Int) {
        if width <= height {
            return (size, Int(Double(size) * Double(height) / Double(width)))
        }
        return (Int(Double(size) * Double(width) / Double(height)), size)
    }

    /// torchvision's `center_crop`: offsets `int(round((dimension − size) / 2))` with Python's
    /// half-to-even rounding; zero padding (split as torchvision does) when the image is smaller.
    public static func centerCropped(_ image: PixelImage, size: Int) -> PixelImage {
        var image = image
        if size > image.width || size > image.height {
            let padLeft = size > image.width ? (size - image.width) / 2 : 0
            let padTop = size > image.height ? (size - image.height) / 2 : 0
            let paddedWidth = max(size, image.width), paddedHeight = max(size, image.height)
            image = image.cropped(left: -padLeft, top: -padTop, width: paddedWidth, height: paddedHeight)
            if image.width == size && image.height == size { return image }
        }
        let top = Int((Double(image.height - size) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(image.width - size) / 2).rounded(.toNearestOrEven))
        return image.cropped(left: left, top: top, width: size, height: size)
    }
}
