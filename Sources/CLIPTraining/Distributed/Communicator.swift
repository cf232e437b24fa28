import Foundation

/// The collective operations data-parallel training needs, between the `size` processes ("ranks") of
/// one job. Every rank calls the same operations in the same order with equal-sized buffers; a
/// failure throws `TrainingError.communication`. `SingleProcessCommunicator` is the one-rank case,
/// so a run without MPI goes through the same code; `MPICommunicator` spans processes and machines.
public protocol Communicator: AnyObject, Sendable {
    /// This process's index, 0 ..< size.
    var rank: Int { get }
    /// The number of ranks in the job.
    var size: Int { get }
    /// The number of ranks on this host (they share its cores).
    var localSize: Int { get }
    /// Sums `buffer` over every rank, in place.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Every rank's `send`, concatenated in rank order into `receive` (size × send.count values).
    func allGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
    /// Every rank's `values`, concatenated in rank order.
    func allGather(_ values: [Int]) throws -> [Int]
    /// Sums `send` (size blocks of receive.count values) over every rank and leaves block `rank` of
    /// the sum in `receive`: the transpose of `allGather`, with which gradients go back to their rows.
    func reduceScatterSum(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
    /// Sends `send` to rank `destination` while receiving as many values from rank `source`.
    func sendReceive(_ send: UnsafeBufferPointer<Float>, to destination: Int,
                     into receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws
    /// Returns once every rank has called it.
    func barrier() throws
    /// Ends every rank of the job with exit status `code`; for a failure on one rank that the others
    /// would otherwise wait on forever.
    func abort(code: Int32) -> Never
    /// What this rank has sent so far, per operation.
    var traffic: CommunicationTraffic { get }
}

extension Communicator {
    /// Whether this rank writes checkpoints, metrics and reports (rank 0).
    public var isLeader: Bool { rank == 0 }

    /// `allGather` of a tensor's scalars.
    public func allGather(_ values: [Float]) throws -> [Float] {
        var result = [Float](repeating: 0, count: values.count * size)
        try values.withUnsafeBufferPointer { send in
            try result.withUnsafeMutableBufferPointer { try allGather(send, into: $0) }
        }
        return result
    }

    /// The sum of `value` over every rank.
    public func allReduceSum(_ value: Float) throws -> Float {
        var buffer = [value]
        try buffer.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return buffer[0]
    }
}

/// Payload bytes and seconds spent per collective operation on one rank.
public struct CommunicationTraffic: Sendable, Equatable {
    /// One operation's totals.
    public struct Totals: Sendable, Equatable {
        /// Calls made.
        public var calls = 0
        /// Bytes of the local buffer handed to the operation (what an all-reduce reduces, what an
        /// all-gather contributes, what a send sends); the bytes on the wire depend on the algorithm.
        public var bytes = 0
        /// Wall-clock seconds inside the operation, waiting for slower ranks included.
        public var seconds: Double = 0
    }

    /// Totals by operation name (`allReduce`, `allGather`, `reduceScatter`, `sendReceive`, `barrier`).
    public var operations: [String: Totals] = [:]

    /// Everything this rank handed to collectives.
    public var bytes: Int { operations.values.reduce(0) { $0 + $1.bytes } }
    /// Seconds in collectives.
    public var seconds: Double { operations.values.reduce(0) { $0 + $1.seconds } }

    /// What was added since `earlier`.
    public func since(_ earlier: CommunicationTraffic) -> CommunicationTraffic {
        var result = CommunicationTraffic()
        for (name, totals) in operations {
            let before = earlier.operations[name] ?? Totals()
            result.operations[name] = Totals(calls: totals.calls - before.calls, bytes: totals.bytes - before.bytes,
                                             seconds: totals.seconds - before.seconds)
        }
        return result
    }
}

/// Times operations and adds them to a `CommunicationTraffic`, from any thread.
final class TrafficMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var totals = CommunicationTraffic()

    var traffic: CommunicationTraffic {
        lock.lock()
        defer { lock.unlock() }
        return totals
    }

    func measure<R>(_ operation: String, bytes: Int, _ body: () throws -> R) rethrows -> R {
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            lock.lock()
            totals.operations[operation, default: .init()].calls += 1
            totals.operations[operation, default: .init()].bytes += bytes
            totals.operations[operation, default: .init()].seconds += seconds
            lock.unlock()
        }
        return try body()
    }
}
