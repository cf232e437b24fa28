import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Inputs the fuzz targets crashed on, now refused with a specific error.
@Suite("Fuzz regressions: tensor files")
struct TensorFuzzRegressionTests {
    @Test("a legacy checkpoint whose storage byte count overflows is refused as truncated (was a trap on a negative offset)")
    func legacyStorageCountOverflow() throws {
        let path = temporaryPath("fuzz-legacy-overflow.pt").path
        FileManager.default.createFile(atPath: path, contents: try ReferenceData.fuzzRegression("FuzzTorchCheckpoint", "crash-3b5ea932afb3ecc543e99d858f45e53eccb464d1"))
        do {
            _ = try TorchCheckpoint(path: path)
            Issue.record("the damaged checkpoint was accepted")
        } catch let error as TensorError {
            guard case .truncatedData = error else { Issue.record("unexpected error \(error)"); return }
        }
    }
}
