import CGEMMKernels
import Foundation

/// Which kernels run the low-precision products on this CPU, chosen once.
enum LowPrecisionKernels {
    /// bf16 products run in oneDNN where the CPU multiplies bf16 (AVX-512 BF16, AMX); elsewhere they
    /// are emulated: inputs rounded to bf16 and weights widened to f32, through the f32 GEMM, which
    /// gives the same products (exact in f32) summed in another order.
    static let bf16OnOneDNN = PrecisionHardware.current.hasBF16 && OneDNNMatmul.isOptimized(.bf16)

    /// int8 products run in oneDNN only with VNNI or AMX: without them its kernels add u8·s8 pairs in
    /// 16 bits with saturation (measured on AVX2: 251 of 256 random 4×64×256 products wrong), so
    /// the exact kernel of CGEMMKernels runs instead.
    static let int8OnOneDNN = PrecisionHardware.current.hasVNNI && OneDNNMatmul.isOptimized(.int8)
}

extension GEMM {
    /// `C[m, n] = A[m, k] · Wᵀ + beta · C` (beta 0 or 1) for a bf16 or int8 weight W `[n, k]`, on
    /// every compute thread: bf16 rounds A to bf16; int8 quantises each row of A to int8 with its
    /// own scale (dynamic, per token), multiplies in int32 and scales the sums back to f32.
    static func multiply(m: Int, a: UnsafePointer<Float>, lowPrecision weight: LowPrecisionWeight, beta: Float,
                         c: UnsafeMutablePointer<Float>) {
        guard m > 0, weight.rows > 0 else { return }
        precondition(beta == 0 || beta == 1, "low-precision products take beta 0 or 1")
        switch weight.precision {
        case .bf16: multiplyBF16(m: m, a: a, weight: weight, accumulate: beta == 1, c: c)
        case .int8: multiplyInt8(m: m, a: a, weight: weight, accumulate: beta == 1, c: c)
        case .f32: preconditionFailure("an f32 weight has no low-precision form")
        }
    }

    /// Splits the weight's rows (the product's columns) over the compute threads: blocks start on
    /// multiples of 16 and each is at least 64 wide.
    private static func forEachColumnBlock(m: Int, n: Int, k: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(ComputeThreads.count, n / 64)
        guard parts > 1, m * n * k >= parallelWork else {
            body(0..<n)
            return
        }
        Parallel.forEachChunk(parts, grain: 1) { range in
            for part in range {
                let start = n * part / parts / 16 * 16
                let end = part == parts - 1 ? n : n * (part + 1) / parts / 16 * 16
                body(start..<end)
            }
        }
    }

    /// Rounds or quantises the rows of A in parallel.
    private static func forEachRowBlock(m: Int, k: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forEachChunk(m, grain: max(1, elementwiseGrain / max(k, 1)), body)
    }

    private static func multiplyBF16(m: Int, a: UnsafePointer<Float>, weight: LowPrecisionWeight, accumulate: Bool,
                                     c: UnsafeMutablePointer<Float>) {
        let (n, k) = (weight.rows, weight.depth)
        let bits = weight.values.assumingMemoryBound(to: UInt16.self)
        let output = UncheckedSendable(c)
        if LowPrecisionKernels.bf16OnOneDNN {
            let (raw, size) = BufferPool.shared.allocate(bytes: max(m * k, 1) * 2)
            defer { BufferPool.shared.deallocate(raw, size: size) }
            let input = UncheckedSendable(raw.assumingMemoryBound(to: UInt16.self))
            forEachRowBlock(m: m, k: k) { rows in
                clip_bf16_from_f32(a + rows.lowerBound * k, input.value + rows.lowerBound * k, rows.count * k)
            }
            forEachColumnBlock(m: m, n: n, k: k) { columns in
                let done = OneDNNMatmul.multiply(.bf16, m: m, n: columns.count, k: k, a: input.value, lda: k,
                                                 b: bits + columns.lowerBound * k, ldb: k, c: output.value + columns.lowerBound,
                                                 ldc: n, accumulate: accumulate)
                precondition(done, "oneDNN bf16 matmul failed for [\(m), \(k)]·[\(columns.count), \(k)]ᵀ")
            }
            return
        }
        let rounded = Tensor.uninitialized([m * k])
        withExtendedLifetime(rounded) {
            let input = UncheckedSendable(rounded.pointer)
            forEachRowBlock(m: m, k: k) { rows in
                clip_round_to_bf16(a + rows.lowerBound * k, input.value + rows.lowerBound * k, rows.count * k)
            }
            forEachColumnBlock(m: m, n: n, k: k) { columns in
                // Widens 256 weight rows at a time, so the f32 block stays small.
                let block = 256
                let widened = Tensor.uninitialized([min(block, columns.count) * k])
                withExtendedLifetime(widened) {
                    for start in stride(from: columns.lowerBound, to: columns.upperBound, by: block) {
                        let width = min(block, columns.upperBound - start)
                        clip_f32_from_bf16(bits + start * k, widened.pointer, width * k)
                        unguardedMultiply(transposeA: false, transposeB: true, m: m, n: width, k: k, alpha: 1,
                                          a: input.value, lda: k, b: widened.pointer, ldb: k,
                                          beta: accumulate ? 1 : 0, c: output.value + start, ldc: n)
                    }
                }
            }
        }
    }

    private static func multiplyInt8(m: Int, a: UnsafePointer<Float>, weight: LowPrecisionWeight, accumulate: Bool,
                                     c: UnsafeMutablePointer<Float>) {
        let (n, k) = (weight.rows, weight.depth)
        let (quantizedRaw, quantizedSize) = BufferPool.shared.allocate(bytes: max(m * k, 1))
        let (sumsRaw, sumsSize) = BufferPool.shared.allocate(bytes: max(m * n, 1) * 4)
        defer {
            BufferPool.shared.deallocate(quantizedRaw, size: quantizedSize)
            BufferPool.shared.deallocate(sumsRaw, size: sumsSize)
        }
        var rowScales = [Float](repeating: 1, count: m)
        let quantized = UncheckedSendable(quantizedRaw.assumingMemoryBound(to: Int8.self))
        let sums = UncheckedSendable(sumsRaw.assumingMemoryBound(to: Int32.self))
        let output = UncheckedSendable(c)
        rowScales.withUnsafeMutableBufferPointer { buffer in
            let slots = UncheckedSendable(buffer.baseAddress!)
            forEachRowBlock(m: m, k: k) { rows in
                clip_quantize_rows_s8(a + rows.lowerBound * k, rows.count, k, k, quantized.value + rows.lowerBound * k,
                                      slots.value + rows.lowerBound)
            }
        }
        weight.scales.withUnsafeBufferPointer { columnScaleBuffer in
            rowScales.withUnsafeBufferPointer { rowScaleBuffer in
                let (columnScales, rowScales) = (UncheckedSendable(columnScaleBuffer.baseAddress!), UncheckedSendable(rowScaleBuffer.baseAddress!))
                let weights = UncheckedSendable(UnsafePointer(weight.values.assumingMemoryBound(to: Int8.self)))
                forEachColumnBlock(m: m, n: n, k: k) { columns in
                    int8Product(m: m, k: k, a: quantized.value, b: weights.value, ldb: k, columns: columns,
                                c: sums.value, ldc: n, onOneDNN: LowPrecisionKernels.int8OnOneDNN)
                    for row in 0..<m {
                        let line = output.value + row * n, lineSums = sums.value + row * n
                        let rowScale = rowScales.value[row]
                        for column in columns {
                            let value = Float(lineSums[column]) * (rowScale * columnScales.value[column])
                            line[column] = accumulate ? line[column] + value : value
                        }
                    }
                }
            }
        }
    }

    /// `C[i, j] = Σ A[i, p]·B[j, p]` in int32 for the columns `columns`: A `[m, k]` tightly packed, B
    /// `[n, k]` with row stride ldb, C with row stride ldc; through oneDNN or the exact kernel.
    static func int8Product(m: Int, k: Int, a: UnsafePointer<Int8>, b: UnsafePointer<Int8>, ldb: Int, columns: Range<Int>,
                            c: UnsafeMutablePointer<Int32>, ldc: Int, onOneDNN: Bool) {
        if onOneDNN, OneDNNMatmul.multiply(.int8, m: m, n: columns.count, k: k, a: a, lda: k, b: b + columns.lowerBound * ldb,
                                           ldb: ldb, c: c + columns.lowerBound, ldc: ldc, accumulate: false) {
            return
        }
        clip_gemm_s8s8s32(m, k, a, k, b, ldb, columns.lowerBound, columns.upperBound, c, ldc)
    }
}
