@testable import CLIPModel
import CLIPNN
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Checkpoints stored in int8 (`clip convert --dtype int8`) and bf16: used as they are, without
/// quantising again or holding an f32 copy.
@Suite("Stored bf16 and int8 weights")
struct StoredPrecisionTests {
    static let fixtures = ReferenceData.fixturesDirectory()

    static func source(_ name: String) throws -> LoadedModel {
        try CLIPLoader.load(path: fixtures.appendingPathComponent(name).path)
    }

    static func converted(_ name: String, to dtype: SafeTensorsDType) throws -> String {
        // Each caller its own folder: the suite's tests run concurrently.
        let folder = temporaryPath("clip-stored-\(name.replacingOccurrences(of: "/", with: "_"))-\(dtype.rawValue)-\(UUID().uuidString)").path
        try ModelExporter.write(try source(name), layout: .openCLIP, to: folder, dtype: dtype)
        return folder
    }

    static func embeddings(_ model: CLIP) throws -> (image: [Float], text: [Float]) {
        let size = model.visual.imageSize
        let images = Tensor.normal([2, 3, size, size], seed: 7)
        let tokens = [[1, 20, 33, 2], [1, 5, 2, 0]]
        return (try model.encodeImage(images, normalize: true).scalars, try model.encodeText(tokens, normalize: true).scalars)
    }

    /// A model holding plain f32 copies of `loaded`'s weights, so that conversions start from them.
    static func materializedCopy(_ loaded: LoadedModel) throws -> CLIP {
        let copy = CLIP(loaded.model.configuration)
        try copy.load(Dictionary(uniqueKeysWithValues: loaded.model.namedParameters().map {
            ($0.name, Tensor(shape: $0.parameter.wrappedValue.shape, scalars: $0.parameter.wrappedValue.scalars))
        }))
        return copy
    }

    @Test("an int8 checkpoint computes in int8 exactly as the f32 model quantised at load, keeping no f32 copy",
          arguments: ["vit_gelu/open_clip", "resnet/open_clip"])
    func int8Checkpoint(_ name: String) throws {
        let original = try Self.source(name)
        let folder = try Self.converted(name, to: .int8)
        let loaded = try CLIPLoader.load(path: folder)
        #expect(loaded.storedTypes.contains("I8"))
        #expect(loaded.model.computePrecision == .int8)

        original.model.setComputePrecision(.int8)
        let expected = try Self.embeddings(original.model)
        let got = try Self.embeddings(loaded.model)
        #expect(got.image == expected.image && got.text == expected.text)

        let layers = loaded.model.weightedLayers()
        let stored = layers.filter { $0.cache.storedWeight?.precision == .int8 }
        #expect(stored.map(\.name) == layers.map(\.name).filter { !PrecisionPolicy.keepsHigherPrecision($0) })
        _ = ModelFingerprint.of(loaded)
        #expect(stored.allSatisfy { $0.weight.isDeferred }, "an int8 run and a fingerprint must not materialise f32 weights")

        // Read as f32, a weight is its int8 values times its row's scale.
        for layer in stored.prefix(3) {
            let quantized = try #require(layer.cache.storedWeight)
            #expect(layer.weight.scalars == quantized.dequantized().scalars)
        }
        let size = try FileManager.default.attributesOfItem(atPath: folder + "/open_clip_model.safetensors")[.size] as? Int ?? 0
        let f32Size = loaded.model.parameterCount * 4
        #expect(size < f32Size, "int8 file \(size) bytes, f32 weights \(f32Size)")
    }

    @Test("converting an int8 checkpoint again keeps its int8 values and scales byte for byte")
    func int8Reconversion() throws {
        let folder = try Self.converted("vit_gelu/open_clip", to: .int8)
        let loaded = try CLIPLoader.load(path: folder)
        #expect(ExportDType.auto.storage(for: loaded) == .int8)
        let again = temporaryPath("clip-stored-int8-again-\(UUID().uuidString)").path
        try ModelExporter.write(loaded, layout: .openCLIP, to: again, dtype: .int8)
        let first = try Data(contentsOf: URL(fileURLWithPath: folder + "/open_clip_model.safetensors"))
        let second = try Data(contentsOf: URL(fileURLWithPath: again + "/open_clip_model.safetensors"))
        #expect(first == second)
        #expect(throws: ModelError.self) {
            try ModelExporter.write(loaded, layout: .huggingFace, to: again + "-hf", dtype: .int8)
        }
    }

    @Test("a bf16 checkpoint computes in bf16 from its stored values without an f32 copy, and in f32 by default")
    func bf16Checkpoint() throws {
        let folder = try Self.converted("vit_gelu/open_clip", to: .bfloat16)
        let loaded = try CLIPLoader.load(path: folder)
        #expect(loaded.model.computePrecision == .f32)
        let reference = try Self.materializedCopy(try CLIPLoader.load(path: folder))
        let (inF32, referenceF32) = (try Self.embeddings(loaded.model), try Self.embeddings(reference))
        #expect(inF32.image == referenceF32.image && inF32.text == referenceF32.text)

        let inBF16 = try CLIPLoader.load(path: folder)
        inBF16.model.setComputePrecision(.bf16)
        reference.setComputePrecision(.bf16)
        let (got, expected) = (try Self.embeddings(inBF16.model), try Self.embeddings(reference))
        #expect(got.image == expected.image && got.text == expected.text)
        let layers = inBF16.model.weightedLayers()
        #expect(layers.allSatisfy { $0.cache.storedWeight?.precision == .bf16 && $0.weight.isDeferred })
    }

    @Test("an int8 weight with missing, misshapen, negative or non-finite scales is an error naming the tensor")
    func malformedScales() throws {
        let folder = try Self.converted("vit_gelu/open_clip", to: .int8)
        let file = try SafeTensorsFile(path: folder + "/open_clip_model.safetensors")
        let name = "visual.transformer.resblocks.0.mlp.c_fc.weight"
        let scaleName = StoredLowPrecisionWeight.scaleName(of: name)
        let rows = try #require(file.entry(name).shape.first)
        var entries: [String: SafeTensorsWriter.Entry] = [:]
        for tensorName in file.names where file.entries[tensorName]?.dtype == .float32 {
            entries[tensorName] = .values(try file.tensor(tensorName), as: .float32)
        }
        for tensorName in file.names where file.entries[tensorName]?.dtype == .int8 {
            let entry = try file.entry(tensorName)
            entries[tensorName] = .bytes(try file.withRawBytes(tensorName) { Data($0) }, dtype: .int8, shape: entry.shape)
        }
        let cases: [(String, SafeTensorsWriter.Entry?, String)] = [
            ("missing", nil, "needs its per-row scales"),
            ("shape", .values(Tensor.ones([rows + 1]), as: .float32), "must be F32 of shape"),
            ("negative", .values(Tensor.full([rows], -1), as: .float32), "negative or non-finite"),
            ("nan", .values(Tensor.full([rows], .nan), as: .float32), "negative or non-finite"),
        ]
        for (label, scale, message) in cases {
            var broken = entries
            broken[scaleName] = scale
            let path = temporaryPath("clip-stored-bad-\(label)-\(UUID().uuidString).safetensors").path
            try SafeTensorsWriter.write(entries: broken, to: path)
            let reopened = try SafeTensorsFile(path: path)
            do {
                _ = try reopened.storedLowPrecisionWeight(name)
                Issue.record("\(label): no error")
            } catch let error as TensorError {
                #expect(error.description.contains(name) && error.description.contains(message), "\(label): \(error)")
            }
        }
    }
}
