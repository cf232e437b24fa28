import Foundation
#if canImport(Accelerate)
import Accelerate
#elseif canImport(CBLAS)
import CBLAS
#endif

/// A single-precision matrix multiply provider: `C = alpha · op(A) · op(B) + beta · C`, row-major.
///
/// Every GEMM in swift-clip goes through this interface: BLAS, oneDNN, and later an int8 path.
/// Implementations run on the calling thread only; `GEMM` does the splitting over threads.
protocol GEMMBackend: AnyObject, Sendable {
    /// A human-readable name with version and kernel, for `clip doctor`.
    var name: String { get }

    /// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, all row-major with leading dimensions.
    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)
}

/// The process-wide GEMM entry point.
///
/// Backends run single-threaded; a large product is split into one block per compute thread, by
/// columns or by rows, whichever makes each worker repack the smaller operand (every worker packs
/// the whole of the operand it does not split). Two backends share the work by shape:
/// - products with at most `fewRowLimit` rows (short texts, one image) go to BLAS in blocks that
///   fit OpenBLAS's unpacked small-matrix kernels: 10×1536×512 ran at 47–59 GFLOP/s one-threaded
///   this way, against 20–24 for oneDNN and OpenBLAS called whole, and ViT-B/32 at batch 1 ran 3–14%
///   faster than with oneDNN;
/// - everything else goes to oneDNN where it is linked: ViT-B/32 at batch 32 ran about 15% faster
///   than with OpenBLAS.
/// `CLIP_GEMM_BACKEND=openblas` keeps everything on BLAS.
enum GEMM {
    static let blas = BLASBackend()
    static let primary: GEMMBackend = {
        #if canImport(CDNNL)
        if getenv("CLIP_GEMM_BACKEND").map({ String(cString: $0) }) != "openblas" { return OneDNNBackend() }
        #endif
        return blas
    }()

    /// Products with this many rows or fewer use BLAS's small-matrix blocking.
    static let fewRowLimit = 64

    /// Products below this many multiply-adds run on the calling thread (a fan-out costs ~10–20 µs).
    static let parallelWork = 1 << 21

    /// Row-major `C = alpha · op(A) · op(B) + beta · C` with tightly packed operands, on every
    /// compute thread.
    static func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                         alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        let threads = ComputeThreads.count
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        let splitColumns = m * k <= k * n
        let extent = splitColumns ? n : m
        let parts = min(threads, extent / (splitColumns ? 64 : 8))
        guard parts > 1, m * n * k >= parallelWork else {
            unguardedMultiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: n)
            return
        }
        Parallel.forEachChunk(parts, grain: 1) { range in
            for part in range {
                if splitColumns {
                    // Column blocks start on multiples of 16 (whole SIMD panels).
                    let start = n * part / parts / 16 * 16
                    let end = part == parts - 1 ? n : n * (part + 1) / parts / 16 * 16
                    unguardedMultiply(transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k,
                                      alpha: alpha, a: a, lda: lda, b: transposeB ? b + start * ldb : b + start, ldb: ldb,
                                      beta: beta, c: c + start, ldc: n)
                } else {
                    let start = m * part / parts, end = m * (part + 1) / parts
                    unguardedMultiply(transposeA: transposeA, transposeB: transposeB, m: end - start, n: n, k: k,
                                      alpha: alpha, a: transposeA ? a + start : a + start * lda, lda: lda, b: b, ldb: ldb,
                                      beta: beta, c: c + start * n, ldc: n)
                }
            }
        }
    }

    /// The multiply itself, on the calling thread.
    static func unguardedMultiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for row in 0..<m {
                let line = c + row * ldc
                if beta == 0 { line.update(repeating: 0, count: n) } else if beta != 1 {
                    for i in 0..<n { line[i] *= beta }
                }
            }
            return
        }
        precondition(m < Int(Int32.max) && n < Int(Int32.max) && k < Int(Int32.max), "GEMM dimensions exceed 32 bits")
        if let (columnBlock, depthBlock) = fewRowBlocks(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k) {
            // Few rows (a short text): OpenBLAS packs the whole weight matrix for every call, which
            // dominates such products. Blocks of at most 100³ multiply-adds run through its
            // unpacked small-matrix kernels instead.
            for n0 in stride(from: 0, to: n, by: columnBlock) {
                let width = min(columnBlock, n - n0)
                for k0 in stride(from: 0, to: k, by: depthBlock) {
                    blas.sgemm(transposeA: false, transposeB: transposeB, m: m, n: width, k: depthBlock, alpha: alpha,
                                  a: a + k0, lda: lda, b: transposeB ? b + n0 * ldb + k0 : b + k0 * ldb + n0, ldb: ldb,
                                  beta: k0 == 0 ? beta : 1, c: c + n0, ldc: ldc)
                }
            }
            return
        }
        primary.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// Column and depth blocks for a few-row product, or nil to use one BLAS call. Blocks keep
    /// m × columns × depth within OpenBLAS's small-matrix limit (10⁶); depth blocks divide k.
    static func fewRowBlocks(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> (Int, Int)? {
        // Only for weights stored [out, in] (transposed B, as every linear layer): their column
        // blocks are contiguous rows. Blocks of a row-major [k, n] matrix are strided and ran at a
        // third of oneDNN's speed (50×3072×768: 35 GFLOP/s).
        guard !transposeA, transposeB, m <= fewRowLimit, n >= 32, m * n * k > 1_000_000 else { return nil }
        // Beyond 20 rows a deep product (ViT-B/32's MLP output, k = 3072) is 1–4% faster in oneDNN.
        if m > 20 && k > 1024 && primary !== blas { return nil }
        let columns = m >= 32 ? 16 : 48
        var depth = min(k, 1024)
        while depth > 0 && (k % depth != 0 || m * columns * depth > 1_000_000 || (depth % 16 != 0 && depth != k)) { depth -= 1 }
        return depth > 0 ? (columns, depth) : nil
    }
}

/// GEMMs issued from inside a `Parallel.forEachChunkWithSerialGEMM` fan-out, each on the calling
/// worker alone.
struct SerialGEMM {
    fileprivate init() {}

    /// Leading dimensions default to tightly packed operands; pass them to address sub-matrices
    /// (one head's columns of a packed q/k/v matrix, say).
    func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil, b: UnsafePointer<Float>, ldb: Int? = nil,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        GEMM.unguardedMultiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                               a: a, lda: lda ?? (transposeA ? m : k), b: b, ldb: ldb ?? (transposeB ? k : n),
                               beta: beta, c: c, ldc: ldc ?? n)
    }
}

extension Parallel {
    /// Like `forEachChunk`, for chunks that each call GEMMs on their own thread through the
    /// `SerialGEMM` they are given.
    static func forEachChunkWithSerialGEMM(_ count: Int, grain: Int, _ body: (Range<Int>, SerialGEMM) -> Void) {
        forEachChunk(count, grain: grain) { body($0, SerialGEMM()) }
    }
}

/// The platform BLAS: OpenBLAS (pthread variant) on Linux, Accelerate on macOS.
final class BLASBackend: GEMMBackend, @unchecked Sendable {
    var name: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        let config = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "\(config) (kernel \(core))"
        #endif
    }

    init() {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)   // swift-clip splits GEMMs over its own threads
        #endif
    }

    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
