// clip-kernel-bench: times CLIPTensor's kernels for Benchmarks/kernels.py, one JSON line per result.
//
//   clip-kernel-bench gemm M N K [--transpose-b]     GEMM GFLOP/s into a preallocated output
//   clip-kernel-bench softmax ROWS COLS              row softmax, ms per call (allocating, as models run it)
//   clip-kernel-bench layernorm ROWS COLS            layer norm with weight and bias, ms per call
//   clip-kernel-bench gelu ROWS COLS                 exact GELU, ms per call
//   clip-kernel-bench quickgelu ROWS COLS            QuickGELU, ms per call
//   clip-kernel-bench threads                        costs of sharing the cores between BLAS and our pool
import CLIPTensor
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 5
let secondsPerRound = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 0.25

func emit(_ fields: [String: Any]) {
    var fields = fields
    fields["threads"] = ComputeThreads.count
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func milliseconds(_ body: () -> Void) -> (best: Double, median: Double) {
    let seconds = Stopwatch.bestAndMedian(rounds: rounds, secondsPerRound: secondsPerRound, body)
    return (seconds.best * 1e3, seconds.median * 1e3)
}

func integer(_ index: Int) -> Int {
    guard index < arguments.count, let value = Int(arguments[index]), value > 0 else {
        FileHandle.standardError.write("clip-kernel-bench: expected a positive integer as argument \(index + 1)\n".data(using: .utf8)!)
        exit(2)
    }
    return value
}

func timeKernel(_ name: String, _ run: (Tensor) -> Tensor) {
    let (rows, columns) = (integer(1), integer(2))
    let x = Tensor.normal([rows, columns], seed: 3)
    let t = withNoGrad { milliseconds { _ = run(x) } }
    emit(["kernel": name, "shape": [rows, columns], "ms_best": t.best, "ms_median": t.median])
}

/// How BLAS threads and our Dispatch workers share the cores (the scheme behind ComputeThreads).
func threadSchemes() {
    let x = Tensor.normal([1600, 768], seed: 1)
    let w = Tensor.normal([3072, 768], seed: 2)
    let hidden = Tensor.zeros([1600, 3072])
    withNoGrad {
        // 1. A multithreaded GEMM followed by a Dispatch-parallel GELU: does handing the cores from
        //    BLAS's threads to Dispatch's cost anything beyond the two run apart?
        let gemm = milliseconds { matmul(x, w, transposeB: true, into: hidden) }
        let activation = milliseconds { _ = gelu(hidden) }
        let pair = milliseconds { matmul(x, w, transposeB: true, into: hidden); _ = gelu(hidden) }
        emit(["scheme": "gemm then dispatch gelu", "gemm_ms": gemm.best, "gelu_ms": activation.best,
              "sum_ms": gemm.best + activation.best, "interleaved_ms": pair.best,
              "interleaving_cost_ms": pair.best - gemm.best - activation.best])

        // 2. Attention-sized batched GEMMs: 32 images × 12 heads of [50, 64]·[64, 50]. One after
        //    another on all BLAS threads, or spread over our workers with BLAS on one thread each.
        let q = Tensor.normal([384, 50, 64], seed: 4)
        let k = Tensor.normal([384, 50, 64], seed: 5)
        let fanOut = milliseconds { _ = batchedMatmul(q, k, transposeB: true) }
        let sequential = milliseconds {
            let out = Tensor.zeros([50, 50])
            for i in 0..<384 { matmul(q.sliced(i..<(i + 1)).reshaped([50, 64]), k.sliced(i..<(i + 1)).reshaped([50, 64]), transposeB: true, into: out) }
        }
        emit(["scheme": "384 attention GEMMs 50x64x50", "fan_out_serial_blas_ms": fanOut.best,
              "sequential_threaded_blas_ms": sequential.best])

        // 3. The fixed cost of one fan-out over the compute threads.
        let empty = Tensor.zeros([1 << 17])
        let small = milliseconds { _ = gelu(empty) }
        emit(["scheme": "gelu over 131072 elements (one fan-out)", "ms": small.best])
    }
}

switch arguments.first {
case "gemm":
    let (m, n, k) = (integer(1), integer(2), integer(3))
    let transposeB = arguments.contains("--transpose-b")
    let g = Diagnostics.measureGEMM(m: m, n: n, k: k, transposeB: transposeB, rounds: rounds, secondsPerRound: secondsPerRound)
    emit(["kernel": "gemm", "shape": [m, n, k], "transpose_b": transposeB, "gflops_best": g.best, "gflops_median": g.median])
case "softmax":
    timeKernel("softmax") { softmax($0) }
case "layernorm":
    let columns = integer(2)
    let weight = Tensor.normal([columns], seed: 7), bias = Tensor.normal([columns], seed: 8)
    timeKernel("layernorm") { layerNorm($0, weight: weight, bias: bias) }
case "gelu":
    timeKernel("gelu") { gelu($0) }
case "quickgelu":
    timeKernel("quickgelu") { quickGELU($0) }
case "threads":
    threadSchemes()
default:
    FileHandle.standardError.write("usage: clip-kernel-bench gemm M N K | softmax R C | layernorm R C | gelu R C | quickgelu R C | threads\n".data(using: .utf8)!)
    exit(2)
}
