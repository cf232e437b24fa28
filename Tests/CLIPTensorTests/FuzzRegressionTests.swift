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

@Suite("Pickles: containers are not reshaped after placement")
struct PickleReshapeTests {
    static func refusal(_ body: [UInt8], _ name: String) -> String? {
        let path = temporaryPath(name).path
        FileManager.default.createFile(atPath: path, contents: Data([0x80, 0x02] + body + [0x2E]))
        do {
            _ = try TorchCheckpoint(path: path)
            return nil
        } catch let TensorError.malformedPickle(_, _, reason) {
            return reason
        } catch {
            return "unexpected \(error)"
        }
    }

    static func slot(_ opcode: UInt8, _ index: Int) -> [UInt8] {
        [opcode] + withUnsafeBytes(of: UInt32(index).littleEndian, Array.init)
    }

    @Test("lists nested through the memo after they were placed are refused (their depth would be stale)")
    func memoChain() {
        // 3,000 empty lists in the memo, then list i+1 appended to list i, for i = 0, 1, …: a chain
        // 3,000 deep in which each list looked one level deep when it was placed.
        let count = 3_000
        var body: [UInt8] = []
        for index in 0..<count { body += [0x5D] + Self.slot(0x72, index) + [0x30] }
        for index in 0..<(count - 1) { body += Self.slot(0x6A, index) + Self.slot(0x6A, index + 1) + [0x61, 0x30] }
        let reason = Self.refusal(body, "memo-chain.bin")
        #expect(reason?.contains("a list is changed after being placed in another container") == true, "\(reason ?? "accepted")")
    }

    @Test("a list placed inside itself is refused (a cycle would leak or loop)")
    func cycle() {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND
        let reason = Self.refusal([0x5D, 0x71, 0x00, 0x68, 0x00, 0x61], "cycle.bin")
        #expect(reason == "a list placed inside itself", "\(reason ?? "accepted")")
    }

    @Test("TorchScript objects nested through their state are held to the nesting limit")
    func deepObjects() {
        // Per level: remember the object so far, make a new __torch__.M and BUILD it with {"c": previous}.
        let newObject: [UInt8] = [0x63] + Array("__torch__\nM\n".utf8) + [0x29, 0x81]
        var body = newObject
        for _ in 0..<3_000 {
            body += Self.slot(0x72, 0) + [0x30] + newObject + [0x7D, 0x8C, 0x01, UInt8(ascii: "c")] + Self.slot(0x6A, 0) + [0x73, 0x62]
        }
        let reason = Self.refusal(body, "deep-objects.bin")
        #expect(reason?.contains("nested more than 1000 deep (the limit)") == true, "\(reason ?? "accepted")")
    }
}

private extension Array {
    func repeated(_ count: Int) -> [Element] { Array((0..<count).map { _ in self }.joined()) }
}
