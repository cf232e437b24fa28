import CLIPTensor
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
    let warnings: [String]

    enum CodingKeys: String, CodingKey {
        case version, blas, gemm, threads, cores, cpu, simd, warnings
        case optimizedBuild = "optimized_build"
        case gemmShape = "gemm_shape"
        case gemmGflops = "gemm_gflops"
        case packedKernels = "packed_kernels"
    }

    static func collect(gemmSize: Int) -> DoctorReport {
        let threads = ComputeThreads.count
        let gemm = Diagnostics.measureGEMM(m: gemmSize, n: gemmSize, k: gemmSize, rounds: 3, secondsPerRound: 0.2)
        var warnings: [String] = []
        if let warning = ComputeThreads.configurationWarning { warnings.append(warning) }
        if !Diagnostics.isOptimizedBuild { warnings.append("debug build: kernels are much slower than in a release build (make demo builds release)") }
        return DoctorReport(
            version: Diagnostics.version, blas: Diagnostics.blasLibrary, threads: threads,
            gemm: Diagnostics.gemmLibrary, packedKernels: Diagnostics.packedKernels, cores: ComputeThreads.availableCores, cpu: Diagnostics.cpuModel(),
            simd: Diagnostics.cpuSIMDFeatures(), optimizedBuild: Diagnostics.isOptimizedBuild,
            gemmShape: [gemmSize, gemmSize, gemmSize], gemmGflops: (gemm.best * 10).rounded() / 10, warnings: warnings)
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
        ]
        lines += warnings.map { "warning:    \($0)" }
        return lines.joined(separator: "\n")
    }
}
