// clip-kernel-bench: times CLIPTensor's kernels for Benchmarks/kernels.py, one JSON line per result.
//
//   clip-kernel-bench gemm M N K [--transpose-b]     GEMM GFLOP/s into a preallocated output
//   clip-kernel-bench linear-packed M N K           GFLOP/s of an inference linear layer, x [M, K], weight [N, K]
//   clip-kernel-bench softmax ROWS COLS              row softmax, ms per call (allocating, as models run it)
//   clip-kernel-bench layernorm ROWS COLS            layer norm with weight and bias, ms per call
//   clip-kernel-bench gelu ROWS COLS                 exact GELU, ms per call
//   clip-kernel-bench quickgelu ROWS COLS            QuickGELU, ms per call
//   clip-kernel-bench tokenize FILE                  captions per second (one per line), one thread
//   clip-kernel-bench preprocess FILE [SIZE]          decode + resize + crop + normalise, ms per image
//   clip-kernel-bench threads                        costs of sharing the cores between BLAS and our pool
//   clip-kernel-bench serve                          reads such commands from stdin, one per line, and
//                                                    answers each with JSON lines and a line "done"
import CLIPImage
import CLIPTensor
import CLIPTokenizer
import Foundation

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

func integer(_ arguments: [String], _ index: Int) -> Int {
    guard index < arguments.count, let value = Int(arguments[index]), value > 0 else {
        FileHandle.standardError.write("clip-kernel-bench: expected a positive integer as argument \(index + 1)\n".data(using: .utf8)!)
        exit(2)
    }
    return value
}

func timeKernel(_ name: String, _ arguments: [String], _ run: (Tensor) -> Tensor) {
    let (rows, columns) = (integer(arguments, 1), integer(arguments, 2))
    let x = Tensor.normal([rows, columns], seed: 3)
    let t = withNoGrad { milliseconds { _ = run(x) } }
    emit(["kernel": name, "shape": [rows, columns], "ms_best": t.best, "ms_median": t.median])
}

/// How BLAS threads and our Dispatch workers share the cores (the scheme behind ComputeThreads).
/// Each quantity is the best over `rounds` rounds in which all of them are measured in turn.
func threadSchemes() {
    let x = Tensor.normal([1600, 768], seed: 1)
    let w = Tensor.normal([3072, 768], seed: 2)
    let hidden = Tensor.zeros([1600, 3072])
    let q = Tensor.normal([384, 50, 64], seed: 4)
    let k = Tensor.normal([384, 50, 64], seed: 5)
    let scores = Tensor.zeros([50, 50])
    var best: [String: Double] = [:]
    func record(_ key: String, _ body: () -> Void) {
        let t = Stopwatch.bestAndMedian(rounds: 1, secondsPerRound: secondsPerRound, body).best * 1e3
        best[key] = min(best[key] ?? .infinity, t)
    }
    withNoGrad {
        for _ in 0..<rounds {
            // A multithreaded GEMM, then a Dispatch-parallel GELU on its output: does handing the
            // cores from BLAS's threads to Dispatch's workers cost anything beyond the two apart?
            record("gemm_ms") { matmul(x, w, transposeB: true, into: hidden) }
            record("gelu_ms") { _ = gelu(hidden) }
            record("gemm_then_gelu_ms") { matmul(x, w, transposeB: true, into: hidden); _ = gelu(hidden) }
            // Attention-sized GEMMs, 32 images × 12 heads of [50, 64]·[64, 50]: spread over our
            // workers with BLAS on one thread each, or one after another on every BLAS thread.
            record("attention_fan_out_ms") { _ = batchedMatmul(q, k, transposeB: true) }
            record("attention_sequential_ms") {
                for i in 0..<384 {
                    matmul(q.sliced(i..<(i + 1)).reshaped([50, 64]), k.sliced(i..<(i + 1)).reshaped([50, 64]),
                           transposeB: true, into: scores)
                }
            }
        }
    }
    emit(["scheme": "1600x768x3072 GEMM (BLAS threads) then GELU (Dispatch workers)",
          "gemm_ms": best["gemm_ms"]!, "gelu_ms": best["gelu_ms"]!, "together_ms": best["gemm_then_gelu_ms"]!,
          "handover_cost_ms": best["gemm_then_gelu_ms"]! - best["gemm_ms"]! - best["gelu_ms"]!])
    emit(["scheme": "384 attention GEMMs 50x64x50",
          "fan_out_with_serial_blas_ms": best["attention_fan_out_ms"]!,
          "sequential_with_threaded_blas_ms": best["attention_sequential_ms"]!])
}

/// Tokenizes every caption of `path` repeatedly on this thread; the BPE cache is warm after the
/// first pass, as it is for open_clip's tokenizer in the same benchmark.
func tokenizeCaptions(path: String) {
    guard let data = FileManager.default.contents(atPath: path),
          let captions = try? TextInput.lines(of: TextInput.decodeUTF8(data, source: path)),
          let tokenizer = try? CLIPTokenizer() else {
        FileHandle.standardError.write("clip-kernel-bench: cannot read captions from \(path)\n".data(using: .utf8)!)
        exit(2)
    }
    let t = Stopwatch.bestAndMedian(rounds: rounds, secondsPerRound: secondsPerRound) { _ = tokenizer.tokenize(captions) }
    emit(["kernel": "tokenize", "captions": captions.count, "captions_per_second_best": Double(captions.count) / t.best,
          "captions_per_second_median": Double(captions.count) / t.median])
}

/// Reads, decodes and preprocesses one image file per call, as a data loader would.
func preprocessImage(path: String, size: Int) {
    let decoder = ImageDecoder()
    let preprocessor = ImagePreprocessor(size: size)
    guard (try? decoder.decode(contentsOf: path)) != nil else {
        FileHandle.standardError.write("clip-kernel-bench: cannot decode \(path)\n".data(using: .utf8)!)
        exit(2)
    }
    var decodeOnly = Double.infinity
    let t = Stopwatch.bestAndMedian(rounds: rounds, secondsPerRound: secondsPerRound) {
        _ = preprocessor(try! decoder.decode(contentsOf: path))
    }
    for _ in 0..<rounds {
        decodeOnly = min(decodeOnly, Stopwatch.bestAndMedian(rounds: 1, secondsPerRound: secondsPerRound / 2) {
            _ = try! decoder.decode(contentsOf: path)
        }.best)
    }
    emit(["kernel": "preprocess", "size": size, "ms_best": t.best * 1e3, "ms_median": t.median * 1e3, "decode_ms_best": decodeOnly * 1e3])
}

/// The GEMMs of one ViT-B/32 image-tower forward (12 blocks; rows = images × 50 tokens) alone,
/// into preallocated outputs: the floor for the whole forward.
func vitGEMMs(rows: Int) {
    let x = Tensor.normal([rows, 768], seed: 1), hidden = Tensor.normal([rows, 3072], seed: 2)
    let wQKV = Tensor.normal([2304, 768], seed: 3), wOut = Tensor.normal([768, 768], seed: 4)
    let wFC = Tensor.normal([3072, 768], seed: 5), wProj = Tensor.normal([768, 3072], seed: 6)
    let (qkv, out, fc, proj) = (Tensor.zeros([rows, 2304]), Tensor.zeros([rows, 768]), Tensor.zeros([rows, 3072]), Tensor.zeros([rows, 768]))
    let t = milliseconds {
        for _ in 0..<12 {
            matmul(x, wQKV, transposeB: true, into: qkv)
            matmul(x, wOut, transposeB: true, into: out)
            matmul(x, wFC, transposeB: true, into: fc)
            matmul(hidden, wProj, transposeB: true, into: proj)
        }
    }
    emit(["kernel": "vit-gemms", "rows": rows, "ms_best": t.best, "ms_median": t.median])
}

/// Few-row products two ways: X·Wᵀ as written, and (W·Xᵀ)ᵀ with the weights as the row operand.
func gemmVariants(m: Int, n: Int, k: Int) {
    let x = Tensor.normal([m, k], seed: 1), w = Tensor.normal([n, k], seed: 2)
    let c = Tensor.zeros([m, n]), ct = Tensor.zeros([n, m])
    let flops = 2.0 * Double(m * n * k)
    let direct = milliseconds { matmul(x, w, transposeB: true, into: c) }
    let swapped = milliseconds { matmul(w, x, transposeB: true, into: ct) }
    // Column chunks small enough (m·chunk·k ≤ 100³) for OpenBLAS's unpacked small-matrix kernels.
    let chunk = max(16, (1_000_000 / max(m * k, 1)) / 16 * 16)
    let columns = (0..<((n + chunk - 1) / chunk)).map { Tensor.normal([min(chunk, n - $0 * chunk), k], seed: UInt64($0)) }
    let outs = columns.map { Tensor.zeros([m, $0.shape[0]]) }
    let chunked = milliseconds { for (wc, oc) in zip(columns, outs) { matmul(x, wc, transposeB: true, into: oc) } }
    emit(["kernel": "gemm-variants", "shape": [m, n, k], "x_wT_gflops": flops / direct.best / 1e6, "w_xT_gflops": flops / swapped.best / 1e6,
          "chunked_small_gflops": flops / chunked.best / 1e6, "chunk": chunk])
}

/// X·Wᵀ computed in column chunks × K chunks (accumulating), for a sweep of chunk sizes.
func gemmChunks(m: Int, n: Int, k: Int) {
    let x = Tensor.normal([m, k], seed: 1)
    let flops = 2.0 * Double(m * n * k)
    var results: [String: Double] = [:]
    for nc in [16, 24, 32, 48, 64, 96, 128, 192, 256] where nc <= n {
        for kc in [128, 256, 384, 512, 768, 1024, 1536, 2048, 3072] where kc <= k && k % kc == 0 {
            guard Double(m * nc * kc) <= 1e6 else { continue }
            let blocks = (0..<(n / nc)).map { _ in (0..<(k / kc)).map { Tensor.normal([nc, kc], seed: UInt64($0)) } }
            let xs = (0..<(k / kc)).map { x.sliced(($0 * kc)..<(($0 + 1) * kc), alongAxis: 1).copied() }
            let out = Tensor.zeros([m, nc])
            let t = milliseconds {
                for row in blocks { for (xk, wk) in zip(xs, row) { matmul(xk, wk, transposeB: true, into: out) } }
            }
            results["n\(nc)_k\(kc)"] = flops / t.best / 1e6
            let outT = Tensor.zeros([nc, m])
            let swapped = milliseconds {
                for row in blocks { for (xk, wk) in zip(xs, row) { matmul(wk, xk, transposeB: true, into: outT) } }
            }
            results["swapped_n\(nc)_k\(kc)"] = flops / swapped.best / 1e6
        }
    }
    emit(["kernel": "gemm-chunks", "shape": [m, n, k], "gflops": results])
}

func run(_ command: [String]) {
    switch command.first {
    case "gemm":
        let (m, n, k) = (integer(command, 1), integer(command, 2), integer(command, 3))
        let transposeB = command.contains("--transpose-b")
        let g = Diagnostics.measureGEMM(m: m, n: n, k: k, transposeB: transposeB, rounds: rounds, secondsPerRound: secondsPerRound)
        emit(["kernel": "gemm", "shape": [m, n, k], "transpose_b": transposeB, "gflops_best": g.best, "gflops_median": g.median])
    case "linear-packed":
        // An inference linear layer with few rows: the packed-weight path (CLIP_PACKED_GEMM=0: BLAS).
        let (m, n, k) = (integer(command, 1), integer(command, 2), integer(command, 3))
        let x = Tensor.normal([m, k], seed: 1), weight = Tensor.normal([n, k], seed: 2)
        let cache = PackedWeightCache()
        let seconds = withNoGrad {
            Stopwatch.bestAndMedian(rounds: rounds, secondsPerRound: secondsPerRound) {
                _ = linear(x, weight: weight, bias: nil, packing: cache)
            }
        }
        let flops = 2.0 * Double(m * n * k)
        emit(["kernel": "linear-packed", "shape": [m, n, k], "packed": cache.isFilled,
              "gflops_best": flops / seconds.best / 1e9, "gflops_median": flops / seconds.median / 1e9])
    case "softmax":
        timeKernel("softmax", command) { softmax($0) }
    case "layernorm":
        let columns = integer(command, 2)
        let weight = Tensor.normal([columns], seed: 7), bias = Tensor.normal([columns], seed: 8)
        timeKernel("layernorm", command) { layerNorm($0, weight: weight, bias: bias) }
    case "gelu":
        timeKernel("gelu", command) { gelu($0) }
    case "quickgelu":
        timeKernel("quickgelu", command) { quickGELU($0) }
    case "threads":
        threadSchemes()
    case "preprocess":
        preprocessImage(path: command.count > 1 ? command[1] : "", size: command.count > 2 ? integer(command, 2) : 224)
    case "vit-gemms":
        vitGEMMs(rows: command.count > 1 ? integer(command, 1) : 1600)
    case "gemm-variants":
        gemmVariants(m: integer(command, 1), n: integer(command, 2), k: integer(command, 3))
    case "gemm-chunks":
        gemmChunks(m: integer(command, 1), n: integer(command, 2), k: integer(command, 3))
    case "tokenize":
        tokenizeCaptions(path: command.count > 1 ? command[1] : "")
    default:
        FileHandle.standardError.write("usage: clip-kernel-bench gemm M N K | softmax R C | layernorm R C | gelu R C | quickgelu R C | threads | serve\n".data(using: .utf8)!)
        exit(2)
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "serve" {
    while let line = readLine() {
        let command = line.split(separator: " ").map(String.init)
        if command.isEmpty { continue }
        run(command)
        print("done")
        fflush(nil)
    }
} else {
    run(arguments)
}
