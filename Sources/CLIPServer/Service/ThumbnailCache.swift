import CLIPImage
import Foundation

/// JPEG thumbnails (longest side 256) of indexed images, made on first request and kept on disk by
/// content hash: a changed file gets a new thumbnail, copies share one. Written to a temporary
/// file and renamed, so a reader never sees half a thumbnail.
struct ThumbnailCache: Sendable {
    let directory: URL

    /// The longest side of a thumbnail, in pixels.
    static let longestSide = 256
    /// The JPEG quality of thumbnails.
    static let quality = 85

    /// The thumbnail of the image at `path`, whose bytes hash to `contentHash`.
    func thumbnail(of path: String, contentHash: String, maximumPixels: Int) throws -> Data {
        let cached = directory.appendingPathComponent("\(contentHash).jpg")
        if let data = try? Data(contentsOf: cached) { return data }
        let image = try ImageDecoder(maximumPixels: maximumPixels).decode(contentsOf: path)
        let data = try Self.thumbnail(image).jpegData(quality: Self.quality)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(contentHash).\(UUID().uuidString).tmp")
        if (try? data.write(to: temporary)) != nil {
            if rename(temporary.path, cached.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        }
        return data
    }

    /// `image` scaled (bicubic, as Pillow's `thumbnail`) so that its longest side is at most 256.
    static func thumbnail(_ image: PixelImage) -> RGBImage {
        let longest = max(image.width, image.height)
        guard longest > longestSide else { return image.convertedToRGB() }
        let scale = Double(longestSide) / Double(longest)
        let width = max(1, Int((Double(image.width) * scale).rounded()))
        let height = max(1, Int((Double(image.height) * scale).rounded()))
        return image.resized(width: width, height: height, filter: .bicubic).convertedToRGB()
    }
}
