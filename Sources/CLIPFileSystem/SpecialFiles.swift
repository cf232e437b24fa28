import Foundation

/// What kind of thing a user-named path is, before anything opens it.
public enum SpecialFiles {
    /// What is at `path` when it is neither a regular file nor a directory ("a FIFO", "a device",
    /// "a socket"), following symbolic links; nil for a regular file, a directory, or nothing at all.
    /// Reading a FIFO blocks until another process writes to it, so such paths are refused first.
    public static func kind(of path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG, S_IFDIR: return nil
        case S_IFIFO: return "a FIFO"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }
}
