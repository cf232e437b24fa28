import CLIPImage
import CLIPModel
import CLIPTensor
import CLIPTestSupport
import CLIPTokenizer
import CLIPTraining
import Foundation
import Testing

/// Embeddings of full-size models in bf16 and int8 against the same model in f32 (whose numbers
/// equal open_clip's; see CLIPModelTests), on the reference photos and prompts.
@Suite("Embedding accuracy in bf16 and int8", .serialized)
struct PrecisionAccuracyTests {
    /// The issue's bounds on every embedding's cosine similarity to f32: bf16 rounds each product's
    /// inputs to 8 significant bits, int8 to 7 bits per row or channel.
    static let minimumCosine: [ComputePrecision: Double] = [.bf16: 0.999, .int8: 0.99]

    /// A full-size architecture with open_clip's initial distributions, ready to load. Each
    /// parameter is a run of a shared pool of 2²² seeded draws, from an offset of its own, scaled to
    /// its distribution: drawing all 150 million values one by one takes a minute in a debug build.
    private func randomModel(_ preset: String) throws -> LoadedModel {
        let model = CLIP(try CLIPPresets.configuration(named: preset))
        let poolSize = 1 << 22
        var generator = RandomGenerator(seed: 7)
        let normals = Tensor.normal([poolSize], using: &generator).scalars
        let uniforms = Tensor.uniform([poolSize], low: -1, high: 1, using: &generator).scalars
        let initial = ModelInitializer.initialValues(of: model)
        for (name, parameter) in model.namedParameters() {
            let shape = parameter.wrappedValue.shape
            let count = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            let (pool, scale): ([Float], Float)
            switch initial[name]! {
            case .normal(let std): (pool, scale) = (normals, std)
            case .uniform(let bound): (pool, scale) = (uniforms, bound)
            case .constant(let value): (pool, scale) = ([value], 1)
            }
            var index = Int(generator.nextUniform() * Float(pool.count))
            values.withUnsafeMutableBufferPointer { target in
                pool.withUnsafeBufferPointer { source in
                    for element in 0..<count {
                        target[element] = source[index] * scale
                        index = index + 1 == source.count ? 0 : index + 1
                    }
                }
            }
            parameter.wrappedValue = Tensor(shape: shape, scalars: values)
        }
        return LoadedModel(model: model, layout: .openCLIP, weightsPath: "random", architectureName: preset,
                           preprocessor: ImagePreprocessor(size: model.configuration.vision.imageSize),
                           vocabulary: try BPEVocabulary.bundled(), storedTypes: [])
    }

    /// Every reference photo, and prompts from the reference templates.
    private func inputs() throws -> (images: [String], prompts: [String]) {
        let folder = try ReferenceData.sharedFile("images")
        let images = ["astronaut.png", "chelsea.png", "coffee.png", "horse.png"].map { folder.appendingPathComponent($0).path }
        let templates = try PromptTemplates.load(path: try ReferenceData.sharedFile("prompts/openai_imagenet_templates.json").path).templates
        try #require(templates.count == 80)
        let prompts = zip(templates.prefix(6), ["cat", "astronaut", "coffee", "horse", "camera", "logo"]).map {
            $0.replacingOccurrences(of: "{}", with: $1)
        }
        return (images, prompts)
    }

    private func embeddings(_ loaded: LoadedModel, images: [String], prompts: [String]) throws -> (image: [[Float]], text: [[Float]]) {
        let extracted = try ImageFeatureExtractor(loaded: loaded, batchSize: 16).extract(images)
        try #require(extracted.failures.isEmpty, "\(extracted.failures)")
        let tokens = try CLIPTokenizer(vocabulary: loaded.vocabulary).tokenize(prompts, contextLength: loaded.model.configuration.text.contextLength)
        let text = try withNoGrad { try loaded.model.encodeText(tokens) }
        let width = loaded.model.configuration.embedDim
        return (extracted.features.map { $0! }, (0..<prompts.count).map { Array(text.scalars[($0 * width)..<(($0 + 1) * width)]) })
    }

    @Test("ViT-B/32 and RN50: every image and text embedding within the cosine bounds of f32",
          .needsReferenceData, arguments: ["ViT-B-32", "RN50"])
    func fullSizeModels(preset: String) throws {
        let loaded = try randomModel(preset)
        let (images, prompts) = try inputs()
        let reference = try embeddings(loaded, images: images, prompts: prompts)
        for precision in [ComputePrecision.bf16, .int8] {
            loaded.model.setComputePrecision(precision)
            let lowered = try embeddings(loaded, images: images, prompts: prompts)
            for (tower, pairs) in [("image", zip(reference.image, lowered.image)), ("text", zip(reference.text, lowered.text))] {
                let cosines = pairs.map { cosineSimilarity($0, $1) }
                let mean = cosines.reduce(0, +) / Double(cosines.count), minimum = cosines.min() ?? 0
                print("\(preset) \(precision.rawValue) \(tower): cosine to f32 mean \(String(format: "%.6f", mean)), minimum \(String(format: "%.6f", minimum)) over \(cosines.count)")
                #expect(minimum >= Self.minimumCosine[precision]!, "\(preset) \(precision) \(tower) minimum cosine \(minimum)")
            }
        }
        loaded.model.setComputePrecision(.f32)
        let again = try embeddings(loaded, images: [], prompts: prompts)
        #expect(again.text == reference.text, "back to f32 gives f32's numbers")
    }
}
