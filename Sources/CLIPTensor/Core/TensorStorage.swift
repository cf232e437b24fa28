import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Contiguous Float32 memory behind one or more tensors.
///
/// Storage either owns a 64-byte aligned allocation (from `BufferPool`), or borrows memory that another object keeps
/// alive (a memory-mapped safetensors file): `owner` is retained for as long as the storage lives. Deferred storage
/// computes its values on first access (`init(deferred:fill:)`).
final class TensorStorage: @unchecked Sendable {
    private let memory: UnsafeMutablePointer<Float>
    let count: Int
    /// The values still to be computed; nil for ordinary storage.
    private let deferred: DeferredValues?
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
            memory = pages.base.bindMemory(to: Float.self, capacity: max(count, 1))
            owner = pages
            allocatedBytes = 0
            deferred = nil
            return
        }
        let (raw, size) = BufferPool.shared.allocate(bytes: bytes)
        if zeroed { memset(raw, 0, count * MemoryLayout<Float>.stride) }
        memory = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        owner = nil
        allocatedBytes = size
        deferred = nil
    }

    /// `count` floats that `fill` writes when they are first read, into pages that cost no memory
    /// until then: a weight whose inference uses a bf16 or int8 copy needs its f32 values only if
    /// something else (training, export, f32 inference) asks for them.
    init(deferred count: Int, fill: @escaping @Sendable (UnsafeMutablePointer<Float>) -> Void) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        self.count = count
        if let pages = LazyZeroPages(bytes: bytes) {
            (memory, owner, allocatedBytes) = (pages.base.bindMemory(to: Float.self, capacity: max(count, 1)), pages, 0)
        } else {
            let (raw, size) = BufferPool.shared.allocate(bytes: bytes)
            (memory, owner, allocatedBytes) = (raw.bindMemory(to: Float.self, capacity: max(count, 1)), nil, size)
        }
        deferred = DeferredValues(fill)
    }

    /// The first element; deferred values are computed on the first call.
    var base: UnsafeMutablePointer<Float> {
        deferred?.fillOnce(memory)
        return memory
    }

    /// Whether reading the values would compute them first.
    var isPending: Bool { deferred?.isPending ?? false }

    /// Calls `body` with the values without keeping them: pending deferred values are computed into
    /// a temporary buffer that is freed afterwards.
    func withTransientValues<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        guard let deferred, deferred.isPending else { return try body(base) }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        defer { scratch.deallocate() }
        deferred.fill(scratch)
        return try body(scratch)
    }

    /// Zeroed allocations at least this large use `LazyZeroPages`.
    static let lazyZeroBytes = 1 << 20

    /// Borrows `count` floats at `base`; `owner` keeps that memory valid.
    init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        memory = base
        self.count = count
        self.owner = owner
        allocatedBytes = 0
        deferred = nil
    }

    /// Lets the system drop the resident pages behind `count` floats from `offset` when they are
    /// read from a memory-mapped file and have been copied elsewhere (see `MappedFile.releasePages`).
    /// Does nothing for memory this storage allocated.
    func releaseFileBackedPages(offset: Int, count: Int) {
        (owner as? MappedFile)?.releasePages(memory + offset, byteCount: count * MemoryLayout<Float>.stride)
    }

    deinit {
        if owner == nil { BufferPool.shared.deallocate(UnsafeMutableRawPointer(memory), size: allocatedBytes) }
    }
}

/// The computation behind a deferred storage, run at most once.
private final class DeferredValues: @unchecked Sendable {
    let fill: @Sendable (UnsafeMutablePointer<Float>) -> Void
    private let lock = NSLock()
    private var pending = true

    init(_ fill: @escaping @Sendable (UnsafeMutablePointer<Float>) -> Void) { self.fill = fill }

    var isPending: Bool {
        lock.lock()
        defer { lock.unlock() }
        return pending
    }

    func fillOnce(_ memory: UnsafeMutablePointer<Float>) {
        lock.lock()
        defer { lock.unlock() }
        guard pending else { return }
        fill(memory)
        pending = false
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
