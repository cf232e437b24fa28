import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

@Suite("safetensors")
struct SafeTensorsTests {
    private static func temporaryFile(_ name: String, folder: String = "files") -> String {
        temporaryPath("safetensors-\(folder)-\(name)").path
    }

    /// A file made of the 8-byte length prefix, `header` and `data`; `declaredLength` overrides the prefix.
    private static func writeRaw(_ name: String, header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> String {
        let path = Self.temporaryFile(name)
        var bytes = Data()
        var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
        bytes.append(Data(bytes: &length, count: 8))
        bytes.append(header.data(using: .utf8)!)
        bytes.append(contentsOf: data)
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        return path
    }

    @Test("round trip in F32 keeps every bit; F16 and BF16 round as torch does")
    func roundTrip() throws {
        let a = Tensor.normal([3, 4, 5], seed: 1)
        let b = Tensor([1.5, -2, 1e-3])
        let scalar = Tensor(7)
        for dtype in [SafeTensorsDType.float32, .float16, .bfloat16] {
            let path = Self.temporaryFile("roundtrip-\(dtype.rawValue).safetensors")
            try SafeTensorsWriter.write(["a": a, "layer.b": b, "s": scalar], as: dtype, metadata: ["format": "pt"], to: path)
            let file = try SafeTensorsFile(path: path)
            #expect(file.names == ["a", "layer.b", "s"])
            #expect(file.metadata == ["format": "pt"])
            #expect(try file.entry("a").dtype == dtype)
            let readA = try file.tensor("a")
            #expect(readA.shape == [3, 4, 5])
            #expect(try file.tensor("s").shape == [])
            let tolerance: Float = dtype == .float32 ? 0 : (dtype == .float16 ? 2e-3 : 1.6e-2)
            expectClose(readA, a, tolerance: tolerance * 4)
            expectClose(try file.tensor("layer.b"), b, tolerance: tolerance * 2)
        }
    }

    @Test("files written by the Python safetensors library read back with torch's upcast values")
    func pythonWrittenFile() throws {
        let file = try SafeTensorsFile(path: ReferenceData.fixturesDirectory().appendingPathComponent("python_written.safetensors").path)
        #expect(file.metadata["format"] == "pt")
        for name in ["f16", "bf16", "f16_special", "bf16_special", "f64"] {
            let ours = try file.tensor(name)
            let torch = try file.tensor("\(name).as_f32")
            #expect(ours.scalars.map(\.bitPattern) == torch.scalars.map(\.bitPattern), "\(name) upcast differs from torch")
        }
        #expect(try file.integers("position_ids") == [0, 1, 2, 3, 4, 5, 6])
        #expect(try file.tensor("scalar").item() == 2.75)
        #expect(try file.tensor("empty").shape == [0, 4])
    }

    @Test("our F16/BF16 encoding equals torch's for the same values")
    func halfEncodingMatchesTorch() throws {
        let source = try SafeTensorsFile(path: ReferenceData.fixturesDirectory().appendingPathComponent("python_written.safetensors").path)
        let cases: [(encoded: String, original: String, dtype: SafeTensorsDType)] = [
            ("f16", "f32", .float16), ("bf16", "f32", .bfloat16),
            ("f16_special", "f16_special.as_f32", .float16), ("bf16_special", "bf16_special.as_f32", .bfloat16),
        ]
        for (encoded, original, dtype) in cases {
            let path = Self.temporaryFile("encode-\(encoded).safetensors")
            try SafeTensorsWriter.write(["x": try source.tensor(original)], as: dtype, to: path)
            let ours = try SafeTensorsFile(path: path).withRawBytes("x") { Array($0) }
            let torch = try source.withRawBytes(encoded) { Array($0) }
            #expect(ours == torch, "\(encoded) encoding differs from torch's")
        }
    }

    @Test("aligned F32 tensors are read without a copy and writes never reach the file")
    func memoryMappedCopyOnWrite() throws {
        let path = Self.temporaryFile("mapped.safetensors")
        try SafeTensorsWriter.write(["w": Tensor([1, 2, 3, 4])], to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let t = try SafeTensorsFile(path: path).tensor("w")
            t[0] = 100
            #expect(t.scalars == [100, 2, 3, 4])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("F16 is refused when no upcast is requested")
    func upcastOnRequest() throws {
        let path = Self.temporaryFile("half.safetensors")
        try SafeTensorsWriter.write(["h": Tensor([1, 2])], as: .float16, to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(throws: TensorError.unsupportedConversion(path: path, tensor: "h", dtype: "F16")) {
            try file.tensor("h", upcast: false)
        }
        #expect(try file.tensor("h").scalars == [1, 2])
    }

    @Test("a failed write leaves the destination untouched")
    func atomicWrite() throws {
        // A folder of its own: other tests write (and briefly stage) files in parallel.
        let path = temporaryDirectory("safetensors-atomic").appendingPathComponent("atomic.safetensors").path
        try SafeTensorsWriter.write(["a": Tensor([1])], to: path)
        #expect(throws: TensorError.self) {
            try SafeTensorsWriter.write(["__metadata__": Tensor([2])], to: path)
        }
        #expect(try SafeTensorsFile(path: path).tensor("a").scalars == [1])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    // MARK: - Malformed files

    struct Malformed: CustomStringConvertible, Sendable {
        let name: String
        let make: @Sendable () -> String
        let expected: @Sendable (String) -> TensorError
        var description: String { name }
    }

    static let malformedFiles: [Malformed] = [
        Malformed(name: "empty file", make: {
            let path = Self.temporaryFile("empty.safetensors")
            _ = FileManager.default.createFile(atPath: path, contents: Data())
            return path
        }, expected: { .fileTooShort(path: $0, size: 0) }),
        Malformed(name: "shorter than the length prefix", make: {
            let path = Self.temporaryFile("short.safetensors")
            _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
            return path
        }, expected: { .fileTooShort(path: $0, size: 3) }),
        Malformed(name: "header length beyond the file", make: {
            writeRaw("long-header.safetensors", header: "{}", declaredLength: 1_000)
        }, expected: { .headerLengthBeyondFile(path: $0, headerLength: 1_000, fileSize: 10) }),
        Malformed(name: "header is not JSON", make: {
            writeRaw("bad-json.safetensors", header: "{\"a\": [1, 2")
        }, expected: { _ in .invalidHeader(path: "", reason: "") }),
        Malformed(name: "header is a JSON array", make: {
            writeRaw("array.safetensors", header: "[1, 2]")
        }, expected: { .invalidHeader(path: $0, reason: "top level is not a JSON object") }),
        Malformed(name: "unknown dtype", make: {
            writeRaw("dtype.safetensors", header: #"{"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        }, expected: { .unknownDType(path: $0, tensor: "w", dtype: "F12") }),
        Malformed(name: "offsets beyond the data (truncated file)", make: {
            writeRaw("truncated.safetensors", header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0, 0, 0])
        }, expected: { .truncatedData(path: $0, tensor: "w", end: 16, available: 4) }),
        Malformed(name: "inverted offsets", make: {
            writeRaw("inverted.safetensors", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: [UInt8](repeating: 0, count: 8))
        }, expected: { .invalidOffsets(path: $0, tensor: "w", begin: 8, end: 4) }),
        Malformed(name: "overlapping tensors", make: {
            writeRaw("overlap.safetensors",
                     header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                     data: [UInt8](repeating: 0, count: 12))
        }, expected: { .overlappingTensors(path: $0, first: "a", second: "b") }),
        Malformed(name: "shape and byte count disagree", make: {
            writeRaw("count.safetensors", header: #"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        }, expected: { .byteCountMismatch(path: $0, tensor: "w", dtype: "F16", shape: [3], expected: 6, actual: 8) }),
        Malformed(name: "negative size in shape", make: {
            writeRaw("negative.safetensors", header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        }, expected: { .invalidTensorEntry(path: $0, tensor: "w", reason: "shape [-1] has a non-integer or negative size") }),
        Malformed(name: "entry without a shape", make: {
            writeRaw("noshape.safetensors", header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        }, expected: { .invalidTensorEntry(path: $0, tensor: "w", reason: "missing or non-array 'shape'") }),
        Malformed(name: "metadata that is not a string map", make: {
            writeRaw("metadata.safetensors", header: #"{"__metadata__":{"n":1}}"#)
        }, expected: { .invalidHeader(path: $0, reason: "__metadata__ must map strings to strings") }),
        Malformed(name: "a tensor named twice", make: {
            writeRaw("twice.safetensors",
                     header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                     data: [UInt8](repeating: 0, count: 8))
        }, expected: { .invalidHeader(path: $0, reason: "the name 'a' appears more than once") }),
        Malformed(name: "a tensor named twice, once with an escape", make: {
            writeRaw("twice-escaped.safetensors",
                     header: #"{"w\u0031":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w1":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                     data: [UInt8](repeating: 0, count: 8))
        }, expected: { .invalidHeader(path: $0, reason: "the name 'w1' appears more than once") }),
        Malformed(name: "valid file cut short", make: {
            let path = Self.temporaryFile("cut.safetensors")
            try? SafeTensorsWriter.write(["a": Tensor([1, 2]), "b": Tensor([3, 4, 5])], to: path)
            let data = try! Data(contentsOf: URL(fileURLWithPath: path))
            _ = FileManager.default.createFile(atPath: path, contents: data.prefix(data.count - 6))
            return path
        }, expected: { .truncatedData(path: $0, tensor: "b", end: 20, available: 14) }),
    ]

    @Test("malformed files throw a specific error naming the problem", arguments: malformedFiles)
    func malformed(_ testCase: Malformed) {
        let path = testCase.make()
        let expected = testCase.expected(path)
        do {
            _ = try SafeTensorsFile(path: path)
            Issue.record("\(testCase.name): opened without error")
        } catch let error as TensorError {
            if case .invalidHeader = expected, case .invalidHeader(let p, let reason) = error, testCase.name == "header is not JSON" {
                #expect(p == path && reason.hasPrefix("not valid JSON"), "\(error)")
            } else {
                #expect(error == expected, "\(testCase.name): got \(error)")
            }
            #expect(error.description.contains(path))
        } catch {
            Issue.record("\(testCase.name): unexpected error type \(error)")
        }
    }

    @Test("a weights file of another kind is named as neither safetensors nor a PyTorch checkpoint")
    func unrecognizedFormat() throws {
        let path = Self.temporaryFile("random.bin")
        _ = FileManager.default.createFile(atPath: path, contents: Data((0..<3_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }))
        #expect(throws: TensorError.unrecognizedFormat(path: path)) { try openTensorArchive(path: path) }
        // The same bytes named .safetensors get safetensors' own, more specific explanation.
        let named = Self.temporaryFile("random.safetensors")
        try FileManager.default.copyItem(atPath: path, toPath: named)
        #expect {
            try openTensorArchive(path: named)
        } throws: { error in
            guard case TensorError.headerLengthBeyondFile = error else { return false }
            return true
        }
    }

    @Test("asking for a missing tensor or an unconvertible dtype names it")
    func missingAndUnsupported() throws {
        let path = Self.writeRaw("f8.safetensors", header: #"{"q":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#, data: [1, 2, 3, 4])
        let file = try SafeTensorsFile(path: path)
        #expect(throws: TensorError.tensorNotFound(path: path, tensor: "nope")) { try file.tensor("nope") }
        #expect(throws: TensorError.unsupportedConversion(path: path, tensor: "q", dtype: "F8_E4M3")) { try file.tensor("q") }
        #expect(throws: TensorError.unreadableFile(path: "/nonexistent/x.safetensors", reason: "No such file or directory")) {
            try SafeTensorsFile(path: "/nonexistent/x.safetensors")
        }
    }
}
