import Foundation

/// A file the user named could not be read; `reason` is in words ("no such file or directory",
/// "a FIFO, not a regular file", "is a directory").
public struct FileReadError: Error, Equatable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// Why it could not be read.
    public let reason: String

    /// An error for `path`, with `reason` in words.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// The message shown to the user.
    public var description: String { "\(path): cannot read: \(reason)" }
}

/// Reading files that users name: FIFOs, devices and sockets are refused before opening (reading
/// one would block or never end), and failures become a `FileReadError` in words.
public enum UserFile {
    /// The bytes of the file at `path`.
    public static func read(_ path: String) throws(FileReadError) -> Data {
        if let kind = SpecialFiles.kind(of: path) { throw FileReadError(path: path, reason: "\(kind), not a regular file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileReadError(path: path, reason: FailureReason.of(error))
        }
    }
}
