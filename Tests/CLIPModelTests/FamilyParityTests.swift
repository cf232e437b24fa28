@testable import CLIPModel
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// The model families beyond OpenAI's CLIP, made by Scripts/make_family_fixtures.py.
@Suite("SigLIP and the other families match their references")
struct FamilyParityTests {
    static var fixtures: URL { ReferenceData.fixturesDirectory().appendingPathComponent("families") }
    static let expected = try! SafeTensorsFile(path: fixtures.appendingPathComponent("expected.safetensors").path)

    /// As `ModelParityTests.featureTolerance`: float32 products in another order than torch's move
    /// normalised features by a few 1e-7.
    static let featureTolerance: Float = 1e-5
    /// Logits relative to their size: scores are `exp(t)·cos + b` and 1e-5 relative covers the
    /// features' rounding at any scale.
    static let relativeLogitTolerance: Float = 1e-5

    @Test("normalised features and logits equal the reference", arguments: ["siglip_hf", "siglip_open_clip", "chinese_clip_hf", "xlmr_open_clip"])
    func parity(_ family: String) throws {
        let loaded = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent(family).path)
        let images = try Self.expected.tensor("\(family)/images")
        let tokens = try Self.expected.tensor("\(family)/tokens")
        let ids = tokenRows(tokens)
        let (imageFeatures, textFeatures) = try withNoGrad {
            (try loaded.model.encodeImage(images, normalize: true), try loaded.model.encodeText(ids, normalize: true))
        }
        let imageDifference = maxDifference(imageFeatures, try Self.expected.tensor("\(family)/image_features"))
        let textDifference = maxDifference(textFeatures, try Self.expected.tensor("\(family)/text_features"))
        #expect(imageDifference.value <= Self.featureTolerance, "image features: \(imageDifference)")
        #expect(textDifference.value <= Self.featureTolerance, "text features: \(textDifference)")
        let logits = withNoGrad { loaded.model.logits(imageFeatures: imageFeatures, textFeatures: textFeatures) }
        let expectedLogits = try Self.expected.tensor("\(family)/logits_per_image")
        let scale = expectedLogits.scalars.map(abs).max() ?? 1
        let logitDifference = maxDifference(logits, expectedLogits)
        #expect(logitDifference.value <= Self.relativeLogitTolerance * max(scale, 1), "logits: \(logitDifference)")
    }

    @Test("a SigLIP model scores with the sigmoid and keeps its text tower under text.")
    func sigLIPShape() throws {
        let loaded = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("siglip_hf").path)
        #expect(loaded.model.configuration.scoring == .sigmoid)
        let names = Set(loaded.model.namedParameters().map(\.name))
        #expect(names.contains("text.text_projection.bias"))
        #expect(names.contains("visual.trunk.attn_pool.latent"))
        #expect(loaded.preprocessor.resizeMode == .squash)
        #expect(loaded.preprocessor.mean == [0.5, 0.5, 0.5])
    }

    @Test("an open_clip SigLIP directory tokenizes with its tokenizer.json as open_clip's HFTokenizer does")
    func openCLIPSigLIPTokenizer() throws {
        let loaded = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("siglip_open_clip").path)
        let tokens = try Self.expected.tensor("siglip_open_clip/tokens")
        let expected = tokenRows(tokens)
        #expect(try loaded.makeTokenizer().tokenize(["a photo of a dog", "Two cats, sitting on a mat!", "一只猫"]) == expected)
        #expect(loaded.model.configuration.family == .sigLIP)
        #expect(loaded.model.configuration.text.activation == .geluTanh)
        #expect(loaded.model.configuration.vision.activation == .gelu)
    }

    /// The texts the fixture script tokenized with each model's reference tokenizer.
    static let multilingualTexts = ["a photo of a dog", "一只猫的照片", "Un chat noir, assis.", "两只狗\tand a cat!\u{200B}"]

    @Test("Chinese-CLIP and XLM-R directories tokenize as their reference tokenizers, padded to the context",
          arguments: [("chinese_clip_hf", ModelFamily.chineseCLIP, 52), ("xlmr_open_clip", ModelFamily.huggingFaceText, 16)])
    func huggingFaceTextTokenizers(_ family: String, _ expectedFamily: ModelFamily, _ contextLength: Int) throws {
        let loaded = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent(family).path)
        let tokens = try Self.expected.tensor("\(family)/tokens")
        let expected = tokenRows(tokens)
        let actual = try loaded.makeTokenizer().tokenize(Self.multilingualTexts)
        #expect(actual == expected, "\(actual)")
        #expect(try loaded.makeTokenizer().contextLength == contextLength)
        #expect(loaded.model.configuration.family == expectedFamily)
        #expect(loaded.model.configuration.scoring == .softmax)
    }

    @Test("Hugging Face text towers keep open_clip's HFTextEncoder names")
    func huggingFaceTextNames() throws {
        let chinese = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("chinese_clip_hf").path)
        let chineseNames = Set(chinese.model.namedParameters().map(\.name))
        #expect(chineseNames.contains("text.transformer.encoder.layer.1.attention.self.query.weight"))
        #expect(chineseNames.contains("text.transformer.embeddings.token_type_embeddings.weight"))
        #expect(chineseNames.contains("text.proj.weight"))
        #expect(chineseNames.contains("visual.class_embedding"))
        let multilingual = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("xlmr_open_clip").path)
        let names = Set(multilingual.model.namedParameters().map(\.name))
        #expect(names.contains("text.proj.0.weight") && names.contains("text.proj.2.weight"))
        #expect(multilingual.model.configuration.text.huggingFace?.positions == .afterPadding)
    }

    @Test("padding changes nothing: a text alone and padded beside a longer one get the same features",
          arguments: ["chinese_clip_hf", "xlmr_open_clip"])
    func paddingIsMasked(_ family: String) throws {
        let loaded = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent(family).path)
        let tokenizer = try loaded.makeTokenizer()
        let rows = try tokenizer.tokenize(["狗", "a photo of a red car, a cat and a dog"])
        let padID = loaded.model.configuration.text.huggingFace!.padID
        let short = Array(rows[0].prefix { $0 != padID })
        let (alone, batched) = try withNoGrad {
            (try loaded.model.encodeText([short], normalize: true), try loaded.model.encodeText(rows, normalize: true))
        }
        let difference = maxDifference(alone, batched.sliced(0..<1))
        #expect(difference.value <= Self.featureTolerance, "\(difference)")
    }

    /// transformers' `SiglipProcessor` output for a committed image and three prompts.
    static var zeroShotImage: String {
        ReferenceData.fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLIPImageTests/Fixtures/images/odd_97x61.png").path
    }

    @Test("SigLIP zero-shot end to end: tokens, pixels and sigmoid probabilities equal transformers'")
    func sigLIPZeroShot() throws {
        let loaded = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("siglip_hf").path)
        let classes = ["cat", "dog", "red car"]
        let tokens = try Self.expected.tensor("siglip_hf/zero_shot_tokens")
        let expectedIDs = tokenRows(tokens)
        #expect(try loaded.makeTokenizer().tokenize(classes.map { "a photo of a \($0)." }) == expectedIDs)
        #expect(try loaded.makeTokenizer().kind == "SentencePiece Unigram (SigLIP)")

        let classifier = try ZeroShotClassifier(loaded: loaded, classNames: classes, templates: .simple)
        #expect(classifier.scoring == .sigmoid)
        let features = try loaded.imageFeatures([Self.zeroShotImage])
        let predictions = try classifier.predict(imageFeatures: Tensor(shape: [1, features[0].count], scalars: features[0]), topK: 3)[0]
        let expected = try Self.expected.tensor("siglip_hf/zero_shot_probabilities").scalars
        for prediction in predictions {
            // Pixels go through Pillow-exact resampling; the rest is float32 rounding (see featureTolerance).
            #expect(abs(prediction.score - expected[prediction.classIndex]) <= Self.featureTolerance,
                    "\(prediction.label): \(prediction.score) vs \(expected[prediction.classIndex])")
        }
        #expect(predictions.map(\.classIndex) == ZeroShotClassifier.topIndices(expected, 3))
    }
}
