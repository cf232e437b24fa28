/// Errors from reading or preparing images. Each names the file (or other source) at fault.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The bytes are not JPEG, PNG, WebP, HEIF or AVIF (`detected` names another known format, if recognised).
    case unsupportedFormat(path: String, detected: String?)
    /// The header declares more pixels than allowed; refused before decoding.
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    /// The image has no pixels.
    case empty(path: String)
    /// The data ends before the image does.
    case truncated(path: String)
    /// The decoder rejected the data.
    case corrupt(path: String, reason: String)
    /// A preprocessing parameter is out of range.
    case invalidParameter(String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): return "\(path): cannot read: \(reason)"
        case let .unsupportedFormat(path, detected):
            return "\(path): not a JPEG, PNG, WebP, HEIF or AVIF image" + (detected.map { " (looks like \($0))" } ?? "")
        case let .tooLarge(path, width, height, limit):
            // Header values up to 2³² each: their product can exceed Int, so it is not printed as one.
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            return "\(path): \(width)×\(height) = \(overflow ? "more than \(Int.max)" : "\(pixels)") pixels exceeds the limit of \(limit)"
        case let .empty(path): return "\(path): image has no pixels"
        case let .truncated(path): return "\(path): image file is truncated"
        case let .corrupt(path, reason): return "\(path): corrupt image: \(reason)"
        case let .invalidParameter(message): return message
        }
    }
}
