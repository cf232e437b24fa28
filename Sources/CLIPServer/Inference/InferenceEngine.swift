import CLIPModel
import CLIPTensor
import CLIPTokenizer
import Foundation

/// Runs one model's forward passes on a thread of its own, coalescing the inputs of concurrent
/// requests into one batch per tower: an input waits at most `maximumWait` for others to join it,
/// a batch holds at most `maximumBatch` inputs. The queue is bounded: a request that would take it
/// past `queueLimit` inputs is refused at once (`ServerError.overloaded`) instead of waiting; one
/// still waiting at its deadline is answered `ServerError.timedOut` and its inputs are skipped.
///
/// Every use of the model (and of its tokenizer, which caches) happens on the engine's thread, so
/// requests never run the model at the same time and the cooperative thread pool is never blocked
/// by a forward pass.
public final class InferenceEngine: @unchecked Sendable {
    /// What one input of a request is.
    public enum Input: Sendable {
        /// A text, tokenised on the engine's thread.
        case text(String)
        /// Preprocessed pixels, `3 × size × size` in the model's layout.
        case pixels([Float])
    }

    /// How requests are batched and bounded.
    public struct Limits: Sendable {
        /// Inputs per forward pass.
        public var maximumBatch = 32
        /// How long the first input of a batch waits for others (zero: take what is queued).
        public var maximumWait: Duration = .milliseconds(2)
        /// Inputs waiting at most; more are refused with 503.
        public var queueLimit = 1024
        /// How long a request may wait for its results.
        public var timeout: Duration = .seconds(30)

        /// The defaults above.
        public init() {}
    }

    /// What an embedding request gets back.
    public struct Embeddings: Sendable {
        /// One L2-normalised vector per input, in input order.
        public var vectors: [[Float]]
        /// Tokens the texts took (with start and end tokens, after truncation).
        public var tokens: Int
    }

    /// A forward pass, measured, for metrics.
    public struct BatchRecord: Sendable {
        /// "text" or "image".
        public let tower: String
        /// Inputs in the pass.
        public let size: Int
        /// How long the pass took.
        public let duration: Duration
    }

    /// The model the engine runs.
    public let loaded: LoadedModel
    /// The batching limits.
    public let limits: Limits
    /// Told about every forward pass (on the engine's thread).
    public var onBatch: (@Sendable (BatchRecord) -> Void)?

    private let tokenizer: any TextTokenizer
    private let condition = NSCondition()
    private var textQueue: [(request: PendingRequest, index: Int)] = []
    private var imageQueue: [(request: PendingRequest, index: Int)] = []
    private var jobs: [() -> Void] = []
    private var stopping = false
    private var thread: Thread?
    private let clock = ContinuousClock()

    /// An engine for `loaded`; its thread starts at once and runs until `shutdown()`.
    public init(loaded: LoadedModel, limits: Limits = Limits()) throws {
        self.loaded = loaded
        self.limits = limits
        tokenizer = try loaded.makeTokenizer()
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "clip-inference"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Inputs waiting now.
    public var queueDepth: Int {
        condition.withLock { textQueue.count + imageQueue.count }
    }

    /// L2-normalised embeddings of `inputs`, in order, computed in batches with other requests' inputs.
    public func embed(_ inputs: [Input]) async throws -> Embeddings {
        guard !inputs.isEmpty else { return Embeddings(vectors: [], tokens: 0) }
        return try await withCheckedThrowingContinuation { continuation in
            let request = PendingRequest(count: inputs.count, deadline: clock.now + limits.timeout, continuation: continuation)
            condition.lock()
            defer { condition.unlock() }
            guard !stopping else { return continuation.resume(throwing: ServerError.shuttingDown) }
            guard textQueue.count + imageQueue.count + inputs.count <= limits.queueLimit else {
                return continuation.resume(throwing: ServerError.overloaded(queued: textQueue.count + imageQueue.count))
            }
            request.inputs = inputs
            for (index, input) in inputs.enumerated() {
                switch input {
                case .text: textQueue.append((request, index))
                case .pixels: imageQueue.append((request, index))
                }
            }
            condition.signal()
        }
    }

    /// Runs `body` on the engine's thread, between batches, with the model and its tokenizer to
    /// itself (for work that is not a plain embedding, such as building a zero-shot classifier).
    public func perform<T: Sendable>(_ body: @escaping @Sendable (LoadedModel, any TextTokenizer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !stopping else { return continuation.resume(throwing: ServerError.shuttingDown) }
            jobs.append { [loaded, tokenizer] in
                continuation.resume(with: Result { try withNoGrad { try body(loaded, tokenizer) } })
            }
            condition.signal()
        }
    }

    /// Finishes what is queued, then stops the thread; later requests are refused.
    public func shutdown() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    // MARK: - The engine's thread

    private enum Work {
        case job(() -> Void)
        case batch(text: Bool, [(request: PendingRequest, index: Int)])
        case stop
    }

    private func run() {
        while true {
            switch nextWork() {
            case .stop: return
            case let .job(job): job()
            case let .batch(text, items): encode(items, text: text)
            }
        }
    }

    /// Waits for work: a job first, else the tower whose oldest input has waited longest, once its
    /// batch is full or that input's wait is over.
    private func nextWork() -> Work {
        condition.lock()
        defer { condition.unlock() }
        while true {
            failExpired()
            if !jobs.isEmpty { return .job(jobs.removeFirst()) }
            if textQueue.isEmpty && imageQueue.isEmpty {
                if stopping { return .stop }
                condition.wait()
                continue
            }
            let text = imageQueue.isEmpty || (!textQueue.isEmpty && textQueue[0].request.queued <= imageQueue[0].request.queued)
            let queued = text ? textQueue.count : imageQueue.count
            let oldest = text ? textQueue[0].request.queued : imageQueue[0].request.queued
            let due = oldest + limits.maximumWait
            if queued < limits.maximumBatch && clock.now < due && !stopping {
                _ = condition.wait(until: Date().addingTimeInterval(max(0, Self.seconds(due - clock.now))))
                continue
            }
            let count = min(limits.maximumBatch, queued)
            if text {
                defer { textQueue.removeFirst(count) }
                return .batch(text: true, Array(textQueue.prefix(count)))
            }
            defer { imageQueue.removeFirst(count) }
            return .batch(text: false, Array(imageQueue.prefix(count)))
        }
    }

    /// Answers requests whose deadline passed with `timedOut`, and drops the inputs of every answered
    /// request (timed out, or failed in the other tower) — lock held.
    private func failExpired() {
        let now = clock.now
        for item in textQueue where item.request.deadline < now { item.request.fail(ServerError.timedOut) }
        for item in imageQueue where item.request.deadline < now { item.request.fail(ServerError.timedOut) }
        textQueue.removeAll { $0.request.isFinished }
        imageQueue.removeAll { $0.request.isFinished }
    }

    private func encode(_ items: [(request: PendingRequest, index: Int)], text: Bool) {
        let started = clock.now
        do {
            let vectors: [[Float]]
            var tokenCounts = [Int](repeating: 0, count: items.count)
            if text {
                let tokens = try items.map { item -> [Int] in
                    guard case let .text(value) = item.request.inputs[item.index] else { return [] }
                    return try tokenizer.tokenize([value])[0]
                }
                tokenCounts = tokens.map { ids in (ids.lastIndex { $0 != tokenizer.padID } ?? -1) + 1 }
                vectors = try rows(withNoGrad { try loaded.model.encodeText(tokens, normalize: true) })
            } else {
                let size = loaded.preprocessor.size
                var pixels: [Float] = []
                pixels.reserveCapacity(items.count * 3 * size * size)
                for item in items {
                    if case let .pixels(values) = item.request.inputs[item.index] { pixels += values }
                }
                let input = Tensor(shape: [items.count, 3, size, size], scalars: pixels)
                vectors = try rows(withNoGrad { try loaded.model.encodeImage(input, normalize: true) })
            }
            onBatch?(BatchRecord(tower: text ? "text" : "image", size: items.count, duration: clock.now - started))
            condition.withLock {
                for (offset, item) in items.enumerated() {
                    item.request.deliver(vectors[offset], tokens: tokenCounts[offset], at: item.index)
                }
            }
        } catch {
            condition.withLock {
                for item in items { item.request.fail(error) }
            }
        }
    }

    private func rows(_ tensor: Tensor) -> [[Float]] {
        let width = tensor.shape[1], values = tensor.scalars
        return (0..<tensor.shape[0]).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

/// One request's inputs on their way through the engine (touched only with the engine's lock held).
private final class PendingRequest: @unchecked Sendable {
    var inputs: [InferenceEngine.Input] = []
    let queued = ContinuousClock.now
    let deadline: ContinuousClock.Instant
    private var results: [[Float]]
    private var tokens = 0
    private var remaining: Int
    private var continuation: CheckedContinuation<InferenceEngine.Embeddings, any Error>?

    init(count: Int, deadline: ContinuousClock.Instant, continuation: CheckedContinuation<InferenceEngine.Embeddings, any Error>) {
        results = [[Float]](repeating: [], count: count)
        remaining = count
        self.deadline = deadline
        self.continuation = continuation
    }

    var isFinished: Bool { continuation == nil }

    func deliver(_ vector: [Float], tokens count: Int, at index: Int) {
        guard let continuation else { return }
        results[index] = vector
        tokens += count
        remaining -= 1
        if remaining == 0 {
            self.continuation = nil
            inputs = []
            continuation.resume(returning: .init(vectors: results, tokens: tokens))
        }
    }

    func fail(_ error: any Error) {
        guard let continuation else { return }
        self.continuation = nil
        inputs = []
        continuation.resume(throwing: error)
    }
}
