/// Decoded pixels in one of Pillow's image modes, as `PIL.Image.open` would hold them.
///
/// The mode decides how the reference resizes and converts the image, so it is kept rather than
/// converting everything to RGB on decode. Samples are interleaved, `channels` per pixel, one byte
/// each, except `luminance16`, whose samples are in `samples16`.
public struct PixelImage: Sendable, Equatable {
    /// Pillow's modes that decoders here produce.
    public enum Mode: String, Sendable, CaseIterable {
        /// "1": 1-bit, stored as 0 or 255.
        case bilevel = "1"
        /// "L": 8-bit grey.
        case luminance = "L"
        /// "LA": grey with alpha.
        case luminanceAlpha = "LA"
        /// "P": palette indices with a 256-entry RGB palette.
        case palette = "P"
        case rgb = "RGB"
        case rgba = "RGBA"
        /// "CMYK" (JPEG), already un-inverted as Pillow reads Adobe files.
        case cmyk = "CMYK"
        /// "I;16": 16-bit grey.
        case luminance16 = "I;16"

        /// Samples per pixel.
        public var channels: Int {
            switch self {
            case .bilevel, .luminance, .palette, .luminance16: return 1
            case .luminanceAlpha: return 2
            case .rgb: return 3
            case .rgba, .cmyk: return 4
            }
        }
    }

    /// How the samples are laid out (Pillow's mode).
    public let mode: Mode
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Interleaved 8-bit samples (`width · height · channels`); empty for `luminance16`.
    public internal(set) var samples: [UInt8]
    /// 16-bit samples of a `luminance16` image; empty otherwise.
    public internal(set) var samples16: [UInt16]
    /// 256 RGB triples for `palette` images; empty otherwise.
    public internal(set) var palette: [UInt8]

    /// An image of `mode`; 8-bit modes use `samples`, 16-bit ones `samples16`, palette images `palette`.
    public init(mode: Mode, width: Int, height: Int, samples: [UInt8] = [], samples16: [UInt16] = [], palette: [UInt8] = []) {
        precondition(width >= 0 && height >= 0, "negative image size")
        if mode == .luminance16 {
            precondition(samples16.count == width * height, "\(samples16.count) samples for \(width)×\(height) I;16")
        } else {
            precondition(samples.count == width * height * mode.channels,
                         "\(samples.count) samples for \(width)×\(height) \(mode.rawValue)")
        }
        precondition(mode != .palette || palette.count == 256 * 3, "a palette image needs 256 RGB entries")
        self.mode = mode
        self.width = width
        self.height = height
        self.samples = samples
        self.samples16 = samples16
        self.palette = palette
    }

    /// A copy with other pixels but the same mode and palette.
    func with(width: Int, height: Int, samples: [UInt8] = [], samples16: [UInt16] = []) -> PixelImage {
        PixelImage(mode: mode, width: width, height: height, samples: samples, samples16: samples16, palette: palette)
    }
}

/// An 8-bit RGB image, row-major `[height][width][3]`.
public struct RGBImage: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `height · width · 3` bytes, row-major, R G B.
    public internal(set) var pixels: [UInt8]

    /// An image over `pixels` (`height · width · 3` bytes).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "\(pixels.count) bytes for \(width)×\(height) RGB")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
