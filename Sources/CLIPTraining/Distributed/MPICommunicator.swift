#if canImport(CMPI)
import CMPI
import Foundation

/// A job of processes started by `mpirun` (or `srun` under Slurm), talking over Open MPI's
/// `MPI_COMM_WORLD`. Errors come back as `TrainingError.communication` rather than ending the process,
/// so that the failing rank can say what failed before `abort(code:)` ends the job.
public final class MPICommunicator: Communicator {
    /// This process's rank in `MPI_COMM_WORLD`.
    public let rank: Int
    /// The number of ranks in `MPI_COMM_WORLD`.
    public let size: Int
    /// The number of ranks on this host (`MPI_COMM_TYPE_SHARED`).
    public let localSize: Int
    private let meter = TrafficMeter()

    /// Whether a launcher (`mpirun`, `srun`, another PMI/PMIx starter) started this process as a rank
    /// of a job, read from the variables it sets; a process started by hand is a one-rank job.
    public static var launchedAsRank: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains { environment[$0] != nil }
    }

    /// Initialises MPI; once per process.
    public init() throws {
        var rank: Int32 = 0, size: Int32 = 0, localSize: Int32 = 0
        try Self.check(clip_mpi_init(&rank, &size, &localSize), "MPI_Init")
        self.rank = Int(rank)
        self.size = Int(size)
        self.localSize = max(1, Int(localSize))
    }

    /// Finalises MPI after the last collective; every rank calls it before exiting.
    public func finish() {
        _ = clip_mpi_finalize()
    }

    /// `MPI_Allreduce` (sum, in place), in pieces when the buffer exceeds MPI's int counts.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try meter.measure("allReduce", bytes: buffer.count * 4) {
            var start = 0
            while start < buffer.count {
                let count = min(buffer.count - start, Self.largestCount)
                try Self.check(clip_mpi_allreduce_sum(buffer.baseAddress! + start, count), "MPI_Allreduce")
                start += count
            }
        }
    }

    /// `MPI_Allgather`.
    public func allGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws {
        precondition(receive.count == send.count * size, "allGather: \(receive.count) values received for \(send.count) sent by \(size) ranks")
        try Self.checkCount(send.count, "MPI_Allgather")
        try meter.measure("allGather", bytes: send.count * 4) {
            try Self.check(clip_mpi_allgather(send.baseAddress, send.count, receive.baseAddress), "MPI_Allgather")
        }
    }

    /// `MPI_Allgather` of 64-bit integers.
    public func allGather(_ values: [Int]) throws -> [Int] {
        try Self.checkCount(values.count, "MPI_Allgather")
        let send = values.map(Int64.init)
        var receive = [Int64](repeating: 0, count: values.count * size)
        try meter.measure("allGather", bytes: values.count * 8) {
            try Self.check(clip_mpi_allgather_int64(send, send.count, &receive), "MPI_Allgather")
        }
        return receive.map(Int.init)
    }

    /// `MPI_Reduce_scatter_block` (sum).
    public func reduceScatterSum(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws {
        precondition(send.count == receive.count * size, "reduceScatterSum: \(send.count) values for blocks of \(receive.count) on \(size) ranks")
        try Self.checkCount(receive.count, "MPI_Reduce_scatter_block")
        try meter.measure("reduceScatter", bytes: send.count * 4) {
            try Self.check(clip_mpi_reduce_scatter_sum(send.baseAddress, receive.count, receive.baseAddress), "MPI_Reduce_scatter_block")
        }
    }

    /// `MPI_Sendrecv`.
    public func sendReceive(_ send: UnsafeBufferPointer<Float>, to destination: Int,
                            into receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws {
        precondition(receive.count == send.count, "sendReceive: \(receive.count) values received for \(send.count) sent")
        try Self.checkCount(send.count, "MPI_Sendrecv")
        try meter.measure("sendReceive", bytes: send.count * 4) {
            try Self.check(clip_mpi_sendrecv(send.baseAddress, send.count, Int32(destination), receive.baseAddress, Int32(source)),
                           "MPI_Sendrecv")
        }
    }

    /// `MPI_Barrier`.
    public func barrier() throws {
        try meter.measure("barrier", bytes: 0) { try Self.check(clip_mpi_barrier(), "MPI_Barrier") }
    }

    /// `MPI_Abort` on the whole job; the launcher ends every rank.
    public func abort(code: Int32) -> Never {
        clip_mpi_abort(code)
        exit(code)
    }

    /// What this rank has sent so far.
    public var traffic: CommunicationTraffic { meter.traffic }

    /// The MPI library this process links (`Open MPI v4.1.4`: the first clause of its version text).
    public static var libraryVersion: String {
        let version = text(capacity: 1024) { clip_mpi_library_version($0, $1) }
        return version.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? version
    }

    /// A text MPI writes into a buffer of `capacity` characters.
    private static func text(capacity: Int, _ write: (UnsafeMutablePointer<CChar>, Int) -> Void) -> String {
        var buffer = [CChar](repeating: 0, count: capacity)
        buffer.withUnsafeMutableBufferPointer { write($0.baseAddress!, $0.count - 1) }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// MPI counts are C ints.
    private static let largestCount = Int(Int32.max)

    private static func checkCount(_ count: Int, _ operation: String) throws {
        guard count <= largestCount else {
            throw TrainingError.communication(operation: operation, reason: "\(count) values exceed MPI's count limit of \(largestCount)")
        }
    }

    private static func check(_ code: Int32, _ operation: String) throws {
        guard code != 0 else { return }
        let message = text(capacity: 512) { clip_mpi_error_string(code, $0, $1) }
        throw TrainingError.communication(operation: operation, reason: "MPI error \(code): \(message)")
    }
}
#endif
