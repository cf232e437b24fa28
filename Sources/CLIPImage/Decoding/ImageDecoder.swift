import CLIPFileSystem
import Foundation

/// Reads JPEG, PNG, WebP, HEIF/HEIC and AVIF files into `PixelImage`s with the pixels `PIL.Image.open`
/// produces (with pillow-heif for HEIF and AVIF).
///
/// ```swift
/// let image = try ImageDecoder().decode(contentsOf: "cat.jpg")
/// ```
///
/// The format comes from the bytes, never the file name. The pixel count is checked against
/// `maximumPixels` from the header, before any pixel is decoded.
public struct ImageDecoder: Sendable {
    /// Default limit: 100 megapixels.
    public static let defaultMaximumPixels = 100_000_000

    /// File extensions (lower case) that folders of images are scanned for: torchvision's
    /// `ImageFolder` list plus WebP. Files are still recognised by their bytes when decoded, so a
    /// listed format this decoder lacks (BMP, TIFF, PPM) is reported as unreadable, not skipped.
    public static let fileExtensions: Set<String> = ["jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp", "heic", "heif", "avif"]

    /// Images with more pixels than this are refused from their header, before decoding.
    public var maximumPixels: Int

    /// A decoder refusing images above `maximumPixels`.
    public init(maximumPixels: Int = ImageDecoder.defaultMaximumPixels) {
        self.maximumPixels = maximumPixels
    }

    /// Formats recognised from their first bytes.
    public enum Format: String, Sendable {
        case jpeg, png, webp, heif
    }

    /// Decodes the file at `path`.
    public func decode(contentsOf path: String) throws -> PixelImage {
        let data: Data
        do { data = try UserFile.read(path) } catch { throw ImageError.unreadableFile(path: path, reason: error.reason) }
        return try decode(data, source: path)
    }

    /// Decodes `data`; `source` names it in errors.
    public func decode(_ data: Data, source: String) throws -> PixelImage {
        guard let format = Self.format(of: data) else {
            throw ImageError.unsupportedFormat(path: source, detected: Self.otherFormat(of: data))
        }
        return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> PixelImage in
            let buffer = bytes.bindMemory(to: UInt8.self)
            switch format {
            case .jpeg: return try JPEGDecoder.decode(buffer, source: source, limit: maximumPixels)
            case .png: return try PNGDecoder.decode(buffer, source: source, limit: maximumPixels)
            case .webp: return try WebPDecoder.decode(buffer, source: source, limit: maximumPixels)
            case .heif: return try HEIFDecoder.decode(buffer, source: source, limit: maximumPixels)
            }
        }
    }

    /// The format named by the leading bytes, if it is one we decode.
    public static func format(of data: Data) -> Format? {
        let head = [UInt8](data.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) { return .webp }
        if head.count >= 12, Array(head[4..<8]) == Array("ftyp".utf8), HEIFDecoder.brands.contains(String(decoding: head[8..<12], as: UTF8.self)) {
            return .heif
        }
        return nil
    }

    /// The format of the file at `path` from its first 12 bytes; nil when it cannot be read or is
    /// not an image we decode.
    public static func format(ofFileAt path: String) -> Format? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return format(of: (try? handle.read(upToCount: 12)) ?? Data())
    }

    private static func otherFormat(of data: Data) -> String? {
        let head = [UInt8](data.prefix(8))
        if head.starts(with: Array("GIF8".utf8)) { return "GIF" }
        if head.starts(with: Array("BM".utf8)) { return "BMP" }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if head.count >= 8, Array(head[4..<8]) == Array("ftyp".utf8) { return "an ISO media file (MP4, MOV) that is not a HEIF or AVIF image" }
        return nil
    }

    static func checkSize(width: Int, height: Int, source: String, limit: Int) throws {
        guard width > 0, height > 0 else { throw ImageError.empty(path: source) }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= limit else {
            throw ImageError.tooLarge(path: source, width: width, height: height, limit: limit)
        }
    }
}
