import CLIPTensor
import Foundation

/// How a training process finds its job: as a rank started by `mpirun` / `srun` it joins the MPI job
/// and shares its host's cores with the other local ranks; started alone it is a one-rank job.
public enum DistributedLaunch {
    /// The communicator of this process. Under a launcher it initialises MPI and, unless
    /// `CLIP_NUM_THREADS` says otherwise, sets the compute threads to the host's cores divided by the
    /// ranks on it.
    public static func communicator() throws -> any Communicator {
        #if canImport(CMPI)
        guard MPICommunicator.launchedAsRank else { return SingleProcessCommunicator() }
        let communicator = try MPICommunicator()
        if ProcessInfo.processInfo.environment["CLIP_NUM_THREADS"] == nil {
            ComputeThreads.setCount(max(1, ComputeThreads.availableCores / communicator.localSize))
        }
        return communicator
        #else
        guard ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] == nil else {
            throw TrainingError.invalidOption("this build has no MPI support (it is built on Linux with libopenmpi-dev)")
        }
        return SingleProcessCommunicator()
        #endif
    }

    /// The MPI library this build uses (`Open MPI v4.1.4`), or nil in a build without MPI.
    public static var mpiLibrary: String? {
        #if canImport(CMPI)
        return MPICommunicator.libraryVersion
        #else
        return nil
        #endif
    }

    /// Ends the job's use of the communicator after a successful run (MPI_Finalize).
    public static func finish(_ communicator: any Communicator) {
        #if canImport(CMPI)
        (communicator as? MPICommunicator)?.finish()
        #endif
    }
}
