import Foundation

/// An exclusive advisory lock on a file (flock(2)), as Python's `filelock` takes it on Linux and
/// macOS: held until the lock is released or its process ends, however it ends.
public final class FileLock {
    /// Why a lock was not taken.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// The lock file.
        public let path: String
        /// What went wrong.
        public let reason: String
        /// True when another process holds the lock (and the caller asked not to wait).
        public let isHeldElsewhere: Bool

        /// The lock file and the reason.
        public var description: String { "\(path): \(reason)" }
    }

    private let descriptor: Int32

    /// Takes the lock on `url` (creating the file and its folder if needed), waiting for another
    /// holder to let go when `wait`, else failing with `isHeldElsewhere`.
    public init(_ url: URL, wait: Bool = true) throws(Failure) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Failure(path: url.path, reason: "cannot open the lock file: \(String(cString: strerror(errno)))", isHeldElsewhere: false)
        }
        while flock(descriptor, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EINTR else {
                close(descriptor)
                if code == EWOULDBLOCK { throw Failure(path: url.path, reason: "locked by another process", isHeldElsewhere: true) }
                throw Failure(path: url.path, reason: "cannot lock: \(String(cString: strerror(code)))", isHeldElsewhere: false)
            }
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
