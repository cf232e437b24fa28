#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Contiguous Float32 memory behind one or more tensors.
///
/// Storage either owns a 64-byte aligned allocation (from `BufferPool`), or borrows memory that another object keeps
/// alive (a memory-mapped safetensors file): `owner` is retained for as long as the storage lives.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int
    /// The owner of borrowed memory; nil when this storage allocated `base` itself.
    private let owner: AnyObject?
    private let allocatedBytes: Int

    /// Allocates `count` floats, zero-filled when `zeroed` is true.
    ///
    /// Large zeroed tensors come straight from the operating system as fresh anonymous pages,
    /// which read as zero and cost no memory until written: a model built with zero placeholders
    /// and then given memory-mapped weights never holds its weights twice.
    init(count: Int, zeroed: Bool) {
        precondition(count >= 0, "negative element count \(count)")
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        self.count = count
        if zeroed && bytes >= Self.lazyZeroBytes, let pages = LazyZeroPages(bytes: bytes) {
            base = pages.base.bindMemory(to: Float.self, capacity: max(count, 1))
            owner = pages
            allocatedBytes = 0
            return
        }
        let (raw, size) = BufferPool.shared.allocate(bytes: bytes)
        if zeroed { memset(raw, 0, count * MemoryLayout<Float>.stride) }
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        owner = nil
        allocatedBytes = size
    }

    /// Zeroed allocations at least this large use `LazyZeroPages`.
    static let lazyZeroBytes = 1 << 20

    /// Borrows `count` floats at `base`; `owner` keeps that memory valid.
    init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
        allocatedBytes = 0
    }

    /// Lets the system drop the resident pages behind `count` floats from `offset` when they are
    /// read from a memory-mapped file and have been copied elsewhere (see `MappedFile.releasePages`).
    /// Does nothing for memory this storage allocated.
    func releaseFileBackedPages(offset: Int, count: Int) {
        (owner as? MappedFile)?.releasePages(base + offset, byteCount: count * MemoryLayout<Float>.stride)
    }

    deinit {
        if owner == nil { BufferPool.shared.deallocate(UnsafeMutableRawPointer(base), size: allocatedBytes) }
    }
}

/// An anonymous private mapping: zero-filled by the kernel on first touch, returned with munmap.
final class LazyZeroPages: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int

    init?(bytes: Int) {
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { return nil }
        base = mapped
        size = bytes
    }

    deinit { munmap(base, size) }
}
