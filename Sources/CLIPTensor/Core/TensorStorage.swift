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
    init(count: Int, zeroed: Bool) {
        precondition(count >= 0, "negative element count \(count)")
        let (raw, size) = BufferPool.shared.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        if zeroed { memset(raw, 0, count * MemoryLayout<Float>.stride) }
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
        allocatedBytes = size
    }

    /// Borrows `count` floats at `base`; `owner` keeps that memory valid.
    init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
        allocatedBytes = 0
    }

    deinit {
        if owner == nil { BufferPool.shared.deallocate(UnsafeMutableRawPointer(base), size: allocatedBytes) }
    }
}
