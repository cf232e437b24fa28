import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Fixtures from Scripts/make_checkpoint_fixtures.py (tensor level).
@Suite("PyTorch checkpoints")
struct TorchCheckpointTests {
    static let directory = ReferenceData.fixturesDirectory().appendingPathComponent("torch")
    static func fixture(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static let expected = try! SafeTensorsFile(path: fixture("tensors_expected.safetensors"))

    @Test("zip and legacy torch.save files give every dtype, view and stride exactly", arguments: [
        ("tensors_zip.pt", TorchCheckpoint.Format.zip), ("tensors_legacy.pt", .legacy),
    ])
    func readsEveryTensor(_ name: String, _ format: TorchCheckpoint.Format) throws {
        let checkpoint = try TorchCheckpoint(path: Self.fixture(name))
        #expect(checkpoint.format == format)
        #expect(checkpoint.names == Self.expected.names)
        for tensorName in Self.expected.names {
            let want = try Self.expected.tensor(tensorName)
            let got = try checkpoint.tensor(tensorName)
            #expect(got.shape == want.shape, "\(tensorName)")
            // Conversions to float32 are exact for every stored type here, so equality is exact.
            #expect(got.scalars == want.scalars, "\(tensorName)")
        }
        #expect(checkpoint.storedType(of: "bf16") == "BF16")
        #expect(checkpoint.storedType(of: "i64") == "I64")
        #expect(checkpoint.shape(of: "f32_transposed") == [5, 6])
    }

    @Test("openTensorArchive picks the reader by content, not by file name")
    func detection() throws {
        #expect(try openTensorArchive(path: Self.fixture("tensors_zip.pt")) is TorchCheckpoint)
        #expect(try openTensorArchive(path: Self.fixture("tensors_expected.safetensors")) is SafeTensorsFile)
        // A safetensors header of 128 bytes makes the file start with 0x80, as a pickle does.
        var header = Array(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: 128 - header.count)
        let bytes = [0x80, 0, 0, 0, 0, 0, 0, 0] + header + [0, 0, 0x80, 0x3F]
        let path = temporaryPath("clip-0x80.safetensors").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let archive = try openTensorArchive(path: path)
        #expect(archive is SafeTensorsFile)
        #expect(try archive.tensor("a").scalars == [1])
    }

    @Test("pickles that name code are refused before anything is built", arguments: [
        ("evil_system.pkl", "os.system"), ("evil_zip.pt", "builtins.eval"), ("unknown_class.pt", "__main__.Payload"),
    ])
    func refusesForeignGlobals(_ name: String, _ global: String) throws {
        let path = Self.fixture(name)
        #expect(throws: TensorError.forbiddenPickleGlobal(path: path, global: global)) {
            _ = try TorchCheckpoint(path: path)
        }
        let message = "\(TensorError.forbiddenPickleGlobal(path: path, global: global))"
        #expect(message.contains(global) && message.contains(name))
    }

    @Test("damaged archives are reported with what is wrong")
    func damaged() throws {
        func failure(_ name: String) -> TensorError? {
            do { _ = try TorchCheckpoint(path: Self.fixture(name)); return nil } catch let error as TensorError { return error } catch { return nil }
        }
        guard case let .malformedCheckpoint(_, reason)? = failure("missing_storage.pt") else {
            Issue.record("missing storage: \(String(describing: failure("missing_storage.pt")))"); return
        }
        #expect(reason.contains("storage '0'"))
        switch failure("truncated_zip.pt") {
        case .malformedCheckpoint?: break
        case let other: Issue.record("truncated zip: \(String(describing: other))")
        }
        switch failure("truncated_legacy.pt") {
        case .truncatedData?, .malformedPickle?: break
        case let other: Issue.record("truncated legacy: \(String(describing: other))")
        }
    }

    @Test("every prefix of a checkpoint is refused with a typed error, never a crash",
          arguments: ["tensors_legacy.pt", "tensors_zip.pt"])
    func everyPrefix(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture(name)))
        let path = temporaryPath("clip-prefix-\(name)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for length in stride(from: 1, to: data.count, by: 7) {
            try data.prefix(length).write(to: URL(fileURLWithPath: path))
            do {
                let checkpoint = try TorchCheckpoint(path: path)
                for name in checkpoint.names { _ = try checkpoint.tensor(name) }
                Issue.record("a \(length)-byte prefix loaded")
            } catch is TensorError {
            }
        }
    }

    @Test("a pickle that is not a checkpoint, and bytes that are neither, are refused")
    func notCheckpoints() throws {
        let directory = temporaryPath("clip-torch")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let plainList = directory.appendingPathComponent("list.pkl").path
        // pickle.dumps([1, 2], protocol=2)
        _ = FileManager.default.createFile(atPath: plainList, contents: Data([0x80, 0x02, 0x5D, 0x71, 0x00, 0x28, 0x4B, 0x01, 0x4B, 0x02, 0x65, 0x2E]))
        #expect(throws: TensorError.self) { _ = try TorchCheckpoint(path: plainList) }
        let text = directory.appendingPathComponent("text.pt").path
        _ = FileManager.default.createFile(atPath: text, contents: Data("hello".utf8))
        #expect(throws: TensorError.malformedCheckpoint(path: text, reason: "neither a zip archive nor a pickle stream")) {
            _ = try TorchCheckpoint(path: text)
        }
    }
}
