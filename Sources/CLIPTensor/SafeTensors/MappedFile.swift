import Foundation

/// A whole file mapped copy-on-write: reads come from the page cache, and writes through a tensor
/// that borrows these pages change only this process's copy, never the file.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeMutableRawPointer?
    let size: Int

    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TensorError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw TensorError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw TensorError.unreadableFile(path: path, reason: "not a regular file")
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

    deinit {
        if let bytes { munmap(bytes, size) }
    }
}
