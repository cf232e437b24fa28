import Foundation

/// How `clip serve` listens and what it allows.
public struct ServerConfiguration: Sendable {
    /// The address to bind (loopback unless told otherwise).
    public var host = "127.0.0.1"
    /// The port (0: any free port).
    public var port = 8080
    /// When set, every route but `/health` and the page's files needs `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// The origin allowed by CORS; CORS is off when nil.
    public var corsOrigin: String?
    /// Limits on requests.
    public var limits = RequestLimits()
    /// Where thumbnails are cached.
    public var thumbnailDirectory: URL
    /// The version reported by `/info`.
    public var version = "dev"

    /// A configuration caching thumbnails in `thumbnailDirectory`, with the defaults above.
    public init(thumbnailDirectory: URL) {
        self.thumbnailDirectory = thumbnailDirectory
    }
}
