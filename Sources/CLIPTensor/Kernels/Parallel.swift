import Dispatch

/// Splits loops over the compute threads.
public enum Parallel {
    /// Runs `body` over `0..<count` in at most `ComputeThreads.count` contiguous chunks of at least
    /// `grain` items; small loops run inline on the caller. Chunks must write disjoint memory.
    public static func forEachChunk(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = ComputeThreads.count
        let chunks = min(threads, count / max(grain, 1))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let work = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                work.value(start..<end)
            }
        }
    }
}

extension Parallel {
    /// `transform(0)`, …, `transform(count − 1)`, computed concurrently one item per task and returned
    /// in order: for items that each take far longer than scheduling one (decoding an image file).
    public static func map<T>(_ count: Int, _ transform: (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        return [T](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            let slots = UncheckedSendable(buffer.baseAddress!)
            withoutActuallyEscaping(transform) { escapable in
                let work = UncheckedSendable(escapable)
                DispatchQueue.concurrentPerform(iterations: count) { index in (slots.value + index).initialize(to: work.value(index)) }
            }
            initializedCount = count
        }
    }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees safe use (for example a
/// buffer pointer whose slots concurrent iterations each write alone).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The wrapped value.
    public let value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}
