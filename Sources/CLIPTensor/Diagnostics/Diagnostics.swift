import Foundation

/// Facts about this build and machine, for `clip doctor` and the benchmarks.
public enum Diagnostics {
    /// The swift-clip version.
    public static let version = "0.1.0"

    /// The BLAS library, with its build configuration and kernel.
    public static var blasLibrary: String { GEMM.blas.name }

    /// The library that runs most GEMMs (oneDNN where linked, else BLAS).
    public static var gemmLibrary: String { GEMM.primary.name }

    /// Whether few-row products (one image, short texts) use the packed AVX-512 kernels.
    public static var packedKernels: Bool { GEMM.packedKernelsAvailable }

    /// Whether this binary was built with optimisation.
    public static var isOptimizedBuild: Bool {
        #if DEBUG
        return false
        #else
        return true
        #endif
    }

    /// SIMD instruction-set extensions the CPU reports (x86: from /proc/cpuinfo; empty where unknown).
    public static func cpuSIMDFeatures() -> [String] {
        let interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq",
                           "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve"]
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            #if arch(arm64)
            return ["neon"]
            #else
            return []
            #endif
        }
        let flagsLine = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") || $0.hasPrefix("Features") }
        let flags = Set((flagsLine?.split(separator: ":").last ?? "").split(separator: " ").map(String.init))
        return interesting.filter(flags.contains)
    }

    /// The CPU model name, where the system reports one.
    public static func cpuModel() -> String? {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) else { return nil }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Measured throughput of one row-major `[m, k] · [k, n]` GEMM in GFLOP/s (2·m·n·k per product):
    /// the best of `rounds` rounds, each repeating the product for at least `secondsPerRound`.
    public static func measureGEMM(m: Int, n: Int, k: Int, transposeB: Bool = false,
                                   rounds: Int = 3, secondsPerRound: Double = 0.3) -> (best: Double, median: Double) {
        let a = Tensor.normal([m, k], seed: 1)
        let b = Tensor.normal(transposeB ? [n, k] : [k, n], seed: 2)
        let c = Tensor.zeros([m, n])
        let seconds = Stopwatch.bestAndMedian(rounds: rounds, secondsPerRound: secondsPerRound) {
            matmul(a, b, transposeB: transposeB, into: c)
        }
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        return (flops / seconds.best / 1e9, flops / seconds.median / 1e9)
    }
}

extension Diagnostics {
    /// Measured throughput in GFLOP/s of one inference linear layer `[m, k] · [n, k]ᵀ` computing in
    /// `precision` (activation rounding or quantisation included): best of `rounds` rounds.
    public static func measureLinear(m: Int, n: Int, k: Int, precision: ComputePrecision,
                                     rounds: Int = 3, secondsPerRound: Double = 0.3) -> Double {
        let x = Tensor.normal([m, k], seed: 1)
        let weight = Tensor.normal([n, k], std: 0.05, seed: 2)
        let cache = PackedWeightCache()
        cache.precision = precision
        let seconds = withNoGrad {
            Stopwatch.bestAndMedian(rounds: rounds, secondsPerRound: secondsPerRound) {
                _ = linear(x, weight: weight, bias: nil, packing: cache)
            }
        }
        return 2.0 * Double(m) * Double(n) * Double(k) / seconds.best / 1e9
    }
}

/// Times repeated calls of a closure.
public enum Stopwatch {
    /// Seconds per call: best and median over `rounds` rounds, each running `body` repeatedly for at
    /// least `secondsPerRound` after one warm-up call.
    public static func bestAndMedian(rounds: Int, secondsPerRound: Double, _ body: () -> Void) -> (best: Double, median: Double) {
        body()
        var perCall: [Double] = []
        for _ in 0..<max(rounds, 1) {
            var calls = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                body()
                calls += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            } while elapsed < secondsPerRound
            perCall.append(elapsed / Double(calls))
        }
        let sorted = perCall.sorted()
        return (sorted[0], sorted[sorted.count / 2])
    }
}
