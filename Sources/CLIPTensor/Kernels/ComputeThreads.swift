import Foundation

/// The one thread setting of swift-clip.
///
/// The count comes from `CLIP_NUM_THREADS` (default: every core) and can be changed at run time.
/// All parallelism comes from our own fan-out over `count` workers: elementwise kernels split
/// their elements, GEMMs split their rows or columns and each worker calls BLAS, which is held
/// to one thread for good. BLAS's own threads therefore never start, never spin between calls
/// and never compete with our workers (measured: ViT-B/32 batch 32 ran 1–7% faster this way than
/// with OpenBLAS's two threads, whose spin-waiting took ~8% of the CPU between GEMMs).
public enum ComputeThreads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured: (count: Int, warning: String?)?

    /// The number of threads our kernels and GEMM splits use.
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

    /// Sets the thread count from now on.
    public static func setCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        let warning = current().warning
        lock.lock()
        configured = (count, warning)
        lock.unlock()
    }

    private static func current() -> (count: Int, warning: String?) {
        lock.lock()
        defer { lock.unlock() }
        if let configured { return configured }
        let resolved = resolveFromEnvironment()
        configured = resolved
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
