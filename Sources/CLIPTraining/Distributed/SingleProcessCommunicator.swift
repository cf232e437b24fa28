import Foundation

/// The job of one process: every collective is the identity (a copy where the buffers differ), so
/// training without MPI runs the distributed code unchanged and sends nothing.
public final class SingleProcessCommunicator: Communicator {
    private let meter = TrafficMeter()

    /// The one-rank job.
    public init() {}

    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var size: Int { 1 }
    /// Always 1.
    public var localSize: Int { 1 }

    /// Leaves `buffer` as it is.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}

    /// Copies `send` into `receive`.
    public func allGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws {
        precondition(receive.count == send.count, "allGather: \(receive.count) values received for \(send.count) sent by 1 rank")
        _ = receive.initialize(from: send)
    }

    /// Returns `values`.
    public func allGather(_ values: [Int]) throws -> [Int] { values }

    /// Copies `send` into `receive`.
    public func reduceScatterSum(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws {
        precondition(receive.count == send.count, "reduceScatterSum: \(send.count) values for blocks of \(receive.count) on 1 rank")
        _ = receive.initialize(from: send)
    }

    /// Copies `send` into `receive` (rank 0 talking to itself).
    public func sendReceive(_ send: UnsafeBufferPointer<Float>, to destination: Int,
                            into receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws {
        precondition(destination == 0 && source == 0 && receive.count == send.count, "sendReceive: one rank talks only to itself")
        _ = receive.initialize(from: send)
    }

    /// Returns at once.
    public func barrier() throws {}

    /// Exits the process with `code`.
    public func abort(code: Int32) -> Never { exit(code) }

    /// Always empty.
    public var traffic: CommunicationTraffic { meter.traffic }
}
