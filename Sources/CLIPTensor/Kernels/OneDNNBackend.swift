#if canImport(CDNNL)
import CDNNL
import Foundation

/// oneDNN's `dnnl_sgemm` (row-major), on one OpenMP thread per calling thread (`OneDNNThreads`), so
/// that, as with BLAS, all parallelism comes from swift-clip's own fan-out.
final class OneDNNBackend: GEMMBackend, @unchecked Sendable {
    var name: String {
        let version = dnnl_version().pointee
        return "oneDNN \(version.major).\(version.minor).\(version.patch) sgemm"
    }

    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        OneDNNThreads.useOneThreadHere()
        let status = dnnl_sgemm(transposeA ? 84 : 78, transposeB ? 84 : 78, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb),
                                beta, c, Int64(ldc))  // "T" or "N"
        precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status.rawValue)")
    }
}
#endif
