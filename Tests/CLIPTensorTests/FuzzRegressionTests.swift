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

@Suite("Limits: pickles")
struct PickleLimitTests {
    static func expectNestingRefused(_ body: [UInt8], _ name: String) {
        let path = temporaryPath(name).path
        FileManager.default.createFile(atPath: path, contents: Data([0x80, 0x02] + body + [0x2E]))
        do {
            _ = try TorchCheckpoint(path: path)
            Issue.record("accepted")
        } catch let TensorError.malformedPickle(_, _, reason) {
            #expect(reason.contains("nested more than 1000 deep (the limit)"), "\(reason)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("lists nested 200,000 deep by EMPTY_LIST and APPEND are refused at the limit (this overflowed the stack)")
    func deepLists() {
        Self.expectNestingRefused([UInt8](repeating: 0x5D, count: 200_000) + [UInt8](repeating: 0x61, count: 199_999), "deep-lists.bin")
    }

    @Test("tuples nested by TUPLE1 and dicts by SETITEM are refused at the limit too")
    func deepTuplesAndDicts() {
        Self.expectNestingRefused([0x29] + [UInt8](repeating: 0x85, count: 5_000), "deep-tuples.bin")
        // {0: {0: {…}}}: EMPTY_DICT, then per level BININT1 0 EMPTY_DICT, closed by SETITEM from the inside out.
        let levels = 3_000
        Self.expectNestingRefused([0x7D] + [UInt8]([0x4B, 0x00, 0x7D]).repeated(levels) + [UInt8](repeating: 0x73, count: levels),
                                  "deep-dicts.bin")
    }
}

private extension Array {
    func repeated(_ count: Int) -> [Element] { Array((0..<count).map { _ in self }.joined()) }
}
