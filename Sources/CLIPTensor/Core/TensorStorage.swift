#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Contiguous Float32 memory behind one or more tensors.
///
/// Storage either owns a 64-byte aligned allocation, or borrows memory that another object keeps
/// alive (a memory-mapped safetensors file): `owner` is retained for as long as the storage lives.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int
    private let owner: AnyObject?

    /// Allocates `count` floats, zero-filled when `zeroed` is true.
    init(count: Int, zeroed: Bool) {
        precondition(count >= 0, "negative element count \(count)")
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes for a tensor")
        }
        if zeroed { memset(raw, 0, bytes) }
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
    }

    /// Borrows `count` floats at `base`; `owner` keeps that memory valid.
    init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { free(base) }
    }
}
