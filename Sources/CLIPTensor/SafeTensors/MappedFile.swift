import CLIPFileSystem
import Foundation

/// A whole file mapped copy-on-write: reads come from the page cache, and writes through a tensor
/// that borrows these pages change only this process's copy, never the file.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeMutableRawPointer?
    let size: Int

    init(path: String) throws {
        self.path = path
        // Non-blocking, so that opening a FIFO returns at once (it is then refused by its type).
        let descriptor = open(path, O_RDONLY | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw TensorError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw TensorError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw TensorError.unreadableFile(path: path, reason: "not a regular file (\(SpecialFiles.kind(of: path) ?? "a directory"))")
        }
        size = Int(status.st_size)
        if size == 0 {
            bytes = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw TensorError.unreadableFile(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = mapped
    }

    /// Asks the system to drop the resident pages wholly inside `byteCount` bytes from `start` (in
    /// this mapping), once their contents have been copied elsewhere: an upcast tensor, a packed
    /// weight. A later read brings them back from the file, and pages this process wrote are kept:
    /// MADV_PAGEOUT reclaims without losing data, unlike MADV_DONTNEED. Linux 5.4+; elsewhere, or
    /// where the system refuses, the pages simply stay.
    func releasePages(_ start: UnsafeRawPointer, byteCount: Int) {
        #if os(Linux)
        guard let bytes, byteCount > 0 else { return }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lower = Int(bitPattern: start), upper = lower + byteCount
        let mapping = Int(bitPattern: UnsafeRawPointer(bytes))
        guard lower >= mapping, upper <= mapping + size else { return }
        let first = (lower + pageSize - 1) / pageSize * pageSize, last = upper / pageSize * pageSize
        guard last > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, last - first, Self.pageOutAdvice)
        #endif
    }

    /// Linux's MADV_PAGEOUT, which the C headers of older systems lack.
    private static let pageOutAdvice: Int32 = 21

    deinit {
        if let bytes { munmap(bytes, size) }
    }
}
