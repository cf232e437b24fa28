import Foundation

/// The one thread setting shared by BLAS and our own kernels.
///
/// The count comes from `CLIP_NUM_THREADS` (default: every core) and can be changed at run time.
/// BLAS and our kernel pool never run at the same time: an op either calls one multithreaded GEMM,
/// or fans its own loop out over `count` workers (with BLAS held to one thread inside such a
/// fan-out), so the machine is never oversubscribed.
public enum ComputeThreads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured: (count: Int, warning: String?)?

    /// The number of threads BLAS and our kernels use.
    public static var count: Int {
        current().count
    }

    /// Why `CLIP_NUM_THREADS` was ignored, when it was not a positive integer.
    public static var configurationWarning: String? {
        current().warning
    }

    /// The number of cores the operating system reports as active.
    public static var availableCores: Int {
        ProcessInfo.processInfo.activeProcessorCount
    }

    /// Sets the thread count for BLAS and our kernels from now on.
    public static func setCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        let warning = current().warning
        // Lock order everywhere: GEMM.gate, then `lock`.
        GEMM.gate.withWriteLock {
            lock.lock()
            configured = (count, warning)
            lock.unlock()
            GEMM.backend.threadCount = count
        }
    }

    private static func current() -> (count: Int, warning: String?) {
        lock.lock()
        defer { lock.unlock() }
        if let configured { return configured }
        let resolved = resolveFromEnvironment()
        configured = resolved
        GEMM.backend.threadCount = resolved.count
        return resolved
    }

    private static func resolveFromEnvironment() -> (count: Int, warning: String?) {
        let cores = max(1, availableCores)
        guard let text = ProcessInfo.processInfo.environment["CLIP_NUM_THREADS"] else { return (cores, nil) }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Int(trimmed), value >= 1 else {
            return (cores, "CLIP_NUM_THREADS=\"\(text)\" is not a positive integer; using \(cores)")
        }
        return (value, nil)
    }
}
