#if canImport(Accelerate)
import Accelerate
#elseif canImport(CBLAS)
import CBLAS
#endif

/// A single-precision matrix multiply provider: `C = alpha · op(A) · op(B) + beta · C`, row-major.
///
/// Every GEMM in swift-clip goes through this interface, so a second backend (oneDNN, or an int8
/// path) can replace BLAS without touching the ops.
protocol GEMMBackend: AnyObject, Sendable {
    /// A human-readable name with version and kernel, for `clip doctor`.
    var name: String { get }
    /// Threads used by one multiply.
    var threadCount: Int { get set }

    /// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, all row-major with leading dimensions.
    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)
}

/// The process-wide GEMM entry point.
///
/// BLAS's thread count is process-global, so changing it while another thread is inside a GEMM is
/// unsafe. Ordinary GEMMs therefore hold `gate` for reading; changing the count (a new
/// `ComputeThreads` setting, or a fan-out that holds BLAS to one thread) holds it for writing.
enum GEMM {
    nonisolated(unsafe) static var backend: GEMMBackend = BLASBackend()
    static let gate = ReadWriteLock()

    /// Row-major `C = alpha · op(A) · op(B) + beta · C` with tightly packed operands, on every
    /// compute thread.
    static func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                         alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        let threads = ComputeThreads.count  // also applies CLIP_NUM_THREADS to BLAS on first use
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        if threads > 1 && m <= columnSplitMaximumRows && n >= 256 * threads {
            // Few rows: OpenBLAS 0.3.21 threads such products poorly (77×512×2048: 139 GFLOP/s on two
            // threads, 172 split this way), so each thread gets its own column block.
            Parallel.forEachChunkWithSerialGEMM(threads, grain: 1) { range, _ in
                for part in range {
                    let start = n * part / threads / 16 * 16
                    let end = part == threads - 1 ? n : n * (part + 1) / threads / 16 * 16
                    unguardedMultiply(transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k,
                                      alpha: alpha, a: a, lda: lda,
                                      b: transposeB ? b + start * ldb : b + start, ldb: ldb,
                                      beta: beta, c: c + start, ldc: n)
                }
            }
            return
        }
        gate.withReadLock {
            unguardedMultiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: n)
        }
    }

    /// Products with at most this many rows are split by columns over our threads.
    static let columnSplitMaximumRows = 128

    /// The multiply itself; callers hold `gate` (or run inside a `SerialGEMM` fan-out).
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
        backend.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// GEMMs issued from inside a `Parallel.forEachChunkWithSerialGEMM` fan-out: each runs on the
/// calling worker alone (BLAS is held to one thread for the duration of the fan-out).
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
    /// Like `forEachChunk`, for chunks that call GEMM: BLAS is held to one thread while the chunks
    /// run, so that the workers' GEMMs do not start BLAS threads on cores our workers already use.
    /// Chunks must issue GEMMs through the `SerialGEMM` they are given, never through `GEMM.multiply`.
    static func forEachChunkWithSerialGEMM(_ count: Int, grain: Int, _ body: (Range<Int>, SerialGEMM) -> Void) {
        guard ComputeThreads.count > 1, count / Swift.max(grain, 1) > 1 else {
            GEMM.gate.withReadLock { body(0..<count, SerialGEMM()) }
            return
        }
        GEMM.gate.withWriteLock {
            let threads = ComputeThreads.count
            GEMM.backend.threadCount = 1
            defer { GEMM.backend.threadCount = threads }
            forEachChunk(count, grain: grain) { body($0, SerialGEMM()) }
        }
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

    var threadCount: Int {
        get {
            #if canImport(Accelerate)
            return storedThreadCount
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            storedThreadCount = newValue
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(newValue))
            #endif
        }
    }

    private var storedThreadCount = 1

    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
