import Foundation

/// Keeps freed large tensor buffers for reuse.
///
/// Every op allocates its output, and large allocations from malloc come and go as fresh pages:
/// a 20 MB GELU output then costs ~5,000 page faults per call, which measured 3× slower than the
/// kernel itself. Buffers of at least `minimumPooledBytes` are therefore kept on free lists by size
/// class (four classes per power of two, so at most 25% slack), up to `capacityBytes` in all, and
/// handed out again LIFO (the most recently touched memory first).
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool(capacityBytes: BufferPool.configuredCapacity())

    /// Smaller buffers go straight to malloc, which reuses them well.
    static let minimumPooledBytes = 256 << 10

    let capacityBytes: Int
    private let lock = NSLock()
    private var freeLists: [Int: [UnsafeMutableRawPointer]] = [:]
    private(set) var cachedBytes = 0

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// The allocation size used for a request of `bytes` (its size class).
    static func roundedSize(_ bytes: Int) -> Int {
        guard bytes >= minimumPooledBytes else { return max(bytes, 64) }
        let octave = Int.bitWidth - 1 - bytes.leadingZeroBitCount      // 2^octave ≤ bytes
        let step = 1 << (octave - 2)                                       // four classes per octave
        return (bytes + step - 1) / step * step
    }

    /// A 64-byte aligned block of at least `bytes`; returns the block and its real size.
    func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, size: Int) {
        let size = Self.roundedSize(bytes)
        if size >= Self.minimumPooledBytes {
            lock.lock()
            if let block = freeLists[size]?.popLast() {
                cachedBytes -= size
                lock.unlock()
                return (block, size)
            }
            lock.unlock()
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size) == 0, let raw else {
            // Allocation failure is not recoverable for an op already in flight.
            preconditionFailure("out of memory allocating \(size) bytes for a tensor")
        }
        return (raw, size)
    }

    /// Returns a block from `allocate`; it is cached if there is room, else freed.
    func deallocate(_ pointer: UnsafeMutableRawPointer, size: Int) {
        if size >= Self.minimumPooledBytes {
            lock.lock()
            if cachedBytes + size <= capacityBytes {
                freeLists[size, default: []].append(pointer)
                cachedBytes += size
                lock.unlock()
                return
            }
            lock.unlock()
        }
        free(pointer)
    }

    /// Frees every cached block.
    func releaseAll() {
        lock.lock()
        let lists = freeLists
        freeLists = [:]
        cachedBytes = 0
        lock.unlock()
        for block in lists.values.joined() { free(block) }
    }

    /// `CLIP_BUFFER_CACHE_MB` (default 1024; 0 disables the cache).
    private static func configuredCapacity() -> Int {
        let text = ProcessInfo.processInfo.environment["CLIP_BUFFER_CACHE_MB"] ?? ""
        let megabytes = Int(text.trimmingCharacters(in: .whitespaces)).flatMap { $0 >= 0 ? $0 : nil } ?? 1024
        return megabytes << 20
    }
}

/// Control over the memory CLIPTensor keeps for reuse.
public enum TensorMemory {
    /// Bytes of freed tensor buffers currently kept for reuse.
    public static var cachedBytes: Int { BufferPool.shared.cachedBytes }

    /// The most the cache keeps (`CLIP_BUFFER_CACHE_MB`, default 1024 MB).
    public static var cacheCapacityBytes: Int { BufferPool.shared.capacityBytes }

    /// Returns every cached buffer to the system.
    public static func releaseCachedBuffers() { BufferPool.shared.releaseAll() }
}
