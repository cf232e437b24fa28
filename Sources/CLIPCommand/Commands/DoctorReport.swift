import CLIPTensor
import CLIPTraining
import Foundation

/// What `clip doctor` reports.
struct DoctorReport: Report, Codable {
    let version: String
    let blas: String
    let threads: Int
    let gemm: String
    let packedKernels: Bool
    let cores: Int
    let cpu: String?
    let simd: [String]
    let optimizedBuild: Bool
    let gemmShape: [Int]
    let gemmGflops: Double
    let onednnISA: String
    let precisions: [PrecisionEntry]
    let autoPrecision: String
    let mpi: String?
    let warnings: [String]

    /// What one precision runs on here, and its measured rate.
    struct PrecisionEntry: Codable {
        let precision: String
        let accelerated: Bool
        let kernel: String
        let gflops: Double
    }

    /// The timed product: ViT-B/32's MLP expansion at 8 images (400 tokens).
    static let linearShape = (m: 400, n: 3072, k: 768)

    enum CodingKeys: String, CodingKey {
        case version, blas, gemm, threads, cores, cpu, simd, warnings, mpi
        case optimizedBuild = "optimized_build"
        case gemmShape = "gemm_shape"
        case gemmGflops = "gemm_gflops"
        case packedKernels = "packed_kernels"
        case onednnISA = "onednn_isa"
        case precisions
        case autoPrecision = "auto_precision"
    }

    static func collect(gemmSize: Int) -> DoctorReport {
        let threads = ComputeThreads.count
        let gemm = Diagnostics.measureGEMM(m: gemmSize, n: gemmSize, k: gemmSize, rounds: 3, secondsPerRound: 0.2)
        var warnings: [String] = []
        if let warning = ComputeThreads.configurationWarning { warnings.append(warning) }
        if !Diagnostics.isOptimizedBuild { warnings.append("debug build: kernels are much slower than in a release build (make demo builds release)") }
        let hardware = PrecisionHardware.current
        let kernels = hardware.kernelDescription
        let (m, n, k) = linearShape
        let precisions = ComputePrecision.allCases.map { precision in
            PrecisionEntry(precision: precision.rawValue, accelerated: hardware.accelerates(precision), kernel: kernels[precision] ?? "",
                           gflops: (Diagnostics.measureLinear(m: m, n: n, k: k, precision: precision, rounds: 2, secondsPerRound: 0.2) * 10).rounded() / 10)
        }
        var isa = hardware.isaName
        if let limit = ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"], !limit.isEmpty { isa += " (limited by ONEDNN_MAX_CPU_ISA=\(limit))" }
        return DoctorReport(
            version: Diagnostics.version, blas: Diagnostics.blasLibrary, threads: threads,
            gemm: Diagnostics.gemmLibrary, packedKernels: Diagnostics.packedKernels, cores: ComputeThreads.availableCores, cpu: Diagnostics.cpuModel(),
            simd: Diagnostics.cpuSIMDFeatures(), optimizedBuild: Diagnostics.isOptimizedBuild,
            gemmShape: [gemmSize, gemmSize, gemmSize], gemmGflops: (gemm.best * 10).rounded() / 10,
            onednnISA: isa, precisions: precisions, autoPrecision: PrecisionRequest.auto.resolved(on: hardware).rawValue,
            mpi: DistributedLaunch.mpiLibrary, warnings: warnings)
    }

    var text: String {
        var lines = [
            "swift-clip \(version)",
            "BLAS:       \(blas)",
            "GEMM:       \(gemm)",
            "few rows:   \(packedKernels ? "packed AVX-512 kernels for inference layers (CLIP_PACKED_GEMM=0 turns them off)" : "BLAS small-matrix kernels")",
            "threads:    \(threads) of \(cores) cores (CLIP_NUM_THREADS); each GEMM is split over them, the libraries run single-threaded",
            "CPU:        \(cpu ?? "unknown")",
            "SIMD:       \(simd.isEmpty ? "unknown" : simd.joined(separator: " "))",
            "build:      \(optimizedBuild ? "release" : "debug")",
            "measured:   \(gemmGflops) GFLOP/s (\(gemmShape.map(String.init).joined(separator: "×")), fp32)",
            "oneDNN ISA: \(onednnISA)",
            "MPI:        \(mpi.map { "\($0) (data-parallel training: mpirun -np N clip train …)" } ?? "not in this build")",
        ]
        let (m, n, k) = Self.linearShape
        lines.append("precision:  measured on a \(m)×\(k) · \(k)×\(n) linear layer (--precision, CLIP_PRECISION; auto picks \(autoPrecision) here)")
        for entry in precisions {
            let speed = String(format: "%7.1f GFLOP/s", entry.gflops)
            lines.append("  \(entry.precision.padding(toLength: 5, withPad: " ", startingAt: 0)) \(speed)  \(entry.accelerated ? "accelerated" : "fallback   ")  \(entry.kernel)")
        }
        lines += warnings.map { "warning:    \($0)" }
        return lines.joined(separator: "\n")
    }
}
