/// An image's width and height in pixels.
public struct PixelSize: Equatable, Hashable, Sendable, Codable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int

    /// A size of `width` × `height` pixels.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// `width · height`.
    public var pixelCount: Int { width * height }
}
