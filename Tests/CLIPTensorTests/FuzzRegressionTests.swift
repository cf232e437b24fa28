import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Inputs the fuzz targets crashed on, now refused with a specific error.
/// Why `TorchCheckpoint` refuses `data` (written to the temporary file `name`): the reason of its
/// damaged-pickle or malformed-checkpoint error; nil when it accepts the file.
func checkpointRefusal(_ data: Data, _ name: String) -> String? {
    let path = temporaryPath(name).path
    FileManager.default.createFile(atPath: path, contents: data)
    do {
        _ = try TorchCheckpoint(path: path)
        return nil
    } catch let TensorError.malformedPickle(_, _, reason) {
        return reason
    } catch let TensorError.malformedCheckpoint(_, reason) {
        return reason
    } catch {
        return "unexpected \(error)"
    }
}

/// A protocol-2 pickle of `body`: PROTO 2, the opcodes, STOP.
func pickle(_ body: [UInt8]) -> Data { Data([0x80, 0x02] + body + [0x2E]) }

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

@Suite("Checkpoints with impossible tensor layouts")
struct HostileLayoutTests {
    static func reason(_ name: String) throws -> String? {
        let path = ReferenceData.fixturesDirectory().appendingPathComponent("torch/\(name)").path
        let checkpoint = try TorchCheckpoint(path: path)
        do {
            _ = try checkpoint.tensor("weight")
            return nil
        } catch let TensorError.invalidTensorEntry(_, tensor, reason) {
            #expect(tensor == "weight")
            return reason
        }
    }

    @Test("sizes whose element count overflows, and strides whose reach overflows, are refused (Scripts/make_hostile_checkpoints.py)")
    func overflowingLayouts() throws {
        #expect(try Self.reason("hostile_sizes.pt") == "its sizes and strides overflow")
        #expect(try Self.reason("hostile_strides.pt") == "its sizes and strides overflow")
    }

    @Test("a stride-0 view of a million elements over four is refused, not expanded")
    func expandedView() throws {
        #expect(try Self.reason("hostile_view.pt") == "a view of 1000000 elements over a storage of 4 (expanded tensors are not supported)")
    }
}

@Suite("Limits: pickles")
struct PickleLimitTests {
    static func expectNestingRefused(_ body: [UInt8], _ name: String) {
        let reason = checkpointRefusal(pickle(body), name)
        #expect(reason?.contains("nested more than 1000 deep (the limit)") == true, "\(reason ?? "accepted")")
    }

    @Test("lists nested 200,000 deep by EMPTY_LIST and APPEND are refused at the limit (this overflowed the stack)")
    func deepLists() {
        Self.expectNestingRefused([UInt8](repeating: 0x5D, count: 200_000) + [UInt8](repeating: 0x61, count: 199_999), "deep-lists.bin")
    }

    @Test("more than 10,000 MARKs open at once are refused, naming the limit")
    func markDepth() {
        let reason = checkpointRefusal(pickle([UInt8](repeating: 0x28, count: 10_001)), "marks.bin")
        #expect(reason == "more than 10000 MARKs open at once (the limit)", "\(reason ?? "accepted")")
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
        let reason = checkpointRefusal(pickle(body), "memo-chain.bin")
        #expect(reason?.contains("a list is changed after being placed in another container") == true, "\(reason ?? "accepted")")
    }

    @Test("a list placed inside itself is refused (a cycle would leak or loop)")
    func cycle() {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND
        let reason = checkpointRefusal(pickle([0x5D, 0x71, 0x00, 0x68, 0x00, 0x61]), "cycle.bin")
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
        let reason = checkpointRefusal(pickle(body), "deep-objects.bin")
        #expect(reason?.contains("nested more than 1000 deep (the limit)") == true, "\(reason ?? "accepted")")
    }
}

@Suite("Limits: safetensors")
struct SafeTensorsLimitTests {
    @Test("a header longer than 100 MB is refused, naming the limit (the file itself is sparse)")
    func headerLength() throws {
        let path = temporaryPath("long-header.safetensors").path
        let declared = SafeTensorsFile.maximumHeaderLength + 1
        FileManager.default.createFile(atPath: path, contents: Data(withUnsafeBytes(of: UInt64(declared).littleEndian, Array.init)))
        #expect(truncate(path, off_t(8 + declared)) == 0)
        #expect(throws: TensorError.headerTooLarge(path: path, headerLength: declared, limit: 100_000_000)) {
            try SafeTensorsFile(path: path)
        }
    }
}

@Suite("Limits: zip entries")
struct ZipLimitTests {
    /// A zip of one deflated entry `archive/data.pkl` holding `payload`, whose directory records
    /// `uncompressedSize` (in a zip64 extra field when it does not fit 32 bits).
    static func zip(payload: [UInt8], uncompressedSize: UInt64) -> Data {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        let name = Array("archive/data.pkl".utf8)
        let zip64 = uncompressedSize >= 0xFFFF_FFFF
        let size32 = zip64 ? UInt32.max : UInt32(uncompressedSize)
        let extra: [UInt8] = zip64 ? le(UInt16(1)) + le(UInt16(8)) + le(uncompressedSize) : []
        let local = le(UInt32(0x0403_4B50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(8)) + le(UInt32(0)) + le(UInt32(0))
            + le(UInt32(payload.count)) + le(size32) + le(UInt16(name.count)) + le(UInt16(0)) + name + payload
        let central = le(UInt32(0x0201_4B50)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt16(0)) + le(UInt16(8)) + le(UInt32(0))
            + le(UInt32(0)) + le(UInt32(payload.count)) + le(size32) + le(UInt16(name.count)) + le(UInt16(extra.count))
            + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(UInt32(0)) + name + extra
        let end = le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(1)) + le(UInt16(1))
            + le(UInt32(central.count)) + le(UInt32(local.count)) + le(UInt16(0))
        return Data(local + central + end)
    }

    @Test("an entry claiming more than deflate's 1032:1 ratio is refused before anything is allocated")
    func ratio() {
        let reason = checkpointRefusal(Self.zip(payload: [UInt8](repeating: 0, count: 10), uncompressedSize: 1_000_000), "ratio.pt")
        #expect(reason == "entry 'archive/data.pkl' claims to inflate 10 bytes to 1000000, beyond deflate's maximum ratio of 1032:1",
                "\(reason ?? "accepted")")
    }

    @Test("an entry claiming more than 4 GiB inflated is refused, naming the limit")
    func size() {
        let reason = checkpointRefusal(Self.zip(payload: [UInt8](repeating: 0, count: 10), uncompressedSize: 1 << 40), "huge.pt")
        #expect(reason == "entry 'archive/data.pkl' would inflate to \(1 << 40) bytes, more than the limit of \(UInt32.max)",
                "\(reason ?? "accepted")")
    }
}

private extension Array {
    func repeated(_ count: Int) -> [Element] { Array((0..<count).map { _ in self }.joined()) }
}
