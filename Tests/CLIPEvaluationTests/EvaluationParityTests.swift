@testable import CLIPEvaluation
import CLIPModel
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Against open_clip's zero-shot classifier and CLIP_benchmark's metrics on the shared digits
/// dataset (fixtures from Scripts/make_zeroshot_fixtures.py).
@Suite("Zero-shot and retrieval parity on the digits dataset", .serialized)
struct EvaluationParityTests {
    static let fixtures = ReferenceData.fixturesDirectory()
    static let expected = try! SafeTensorsFile(path: fixtures.appendingPathComponent("expected.safetensors").path)
    static let metrics = try! JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("metrics.json"))) as! [String: [String: Double]]
    static let model = try! CLIPLoader.load(path: fixtures.appendingPathComponent("tiny_open_clip").path)

    /// Normalised features move by a few 1e-7 between GEMM orders (see ModelParityTests); 1e-5 is
    /// ten times that. Scores are cosines, so the same bound holds for them.
    static let featureTolerance: Float = 1e-5
    /// Two candidates whose reference scores are closer than this may legitimately swap places.
    static let tieTolerance: Float = 2e-5

    @Test("classifier weights, per-image top-5 and metrics equal open_clip's", .needsReferenceData, arguments: ["openai80", "simple"])
    func zeroShot(_ templateSet: String) throws {
        let digits = try ReferenceData.sharedFile("datasets/digits/test.tsv")
        let prompts = try ReferenceData.sharedFile("prompts/openai_imagenet_templates.json")
        let folder = digits.deletingLastPathComponent()
        let dataset = try ClassificationDataset.table(digits.path, classNames: try ClassificationDataset.readClassNames(folder.appendingPathComponent("classes.txt").path))
        #expect(dataset.classNames == ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
        #expect(dataset.samples.count == 360)
        let templates = templateSet == "simple" ? PromptTemplates.simple : try PromptTemplates.load(path: prompts.path)
        #expect(templates.templates.count == (templateSet == "simple" ? 1 : 80))

        let classifier = try ZeroShotClassifier(loaded: Self.model, classNames: dataset.classNames, templates: templates)
        let weightDifference = maxDifference(classifier.weights, try Self.expected.tensor("zeroshot/\(templateSet)/classifier"))
        #expect(weightDifference.value <= Self.featureTolerance, "classifier: \(weightDifference)")

        let cache = temporaryPath("eval-" + "zeroshot-\(templateSet)")
        let result = try ZeroShotEvaluation.run(loaded: Self.model, modelName: "tiny", dataset: dataset, templates: templates,
                                                cacheDirectory: cache)
        #expect(result.report.evaluated == 360 && result.report.failed == 0)
        // Reference logits are 100 · cosine; compare in cosine units.
        let logits = try Self.expected.tensor("zeroshot/\(templateSet)/logits").scalars.map { $0 / 100 }
        let classes = dataset.classNames.count
        var ambiguousTop1 = 0, ambiguousTop5 = 0
        for (sample, ranking) in result.rankings {
            let row = Array(logits[(sample * classes)..<((sample + 1) * classes)])
            let reference = ZeroShotClassifier.topIndices(row, classes)
            for position in 0..<5 {
                // Our k-th class must score, by the reference, what the reference's k-th scores.
                let difference = abs(row[ranking[position]] - row[reference[position]])
                #expect(difference <= Self.tieTolerance, "image \(sample), rank \(position + 1): \(ranking.prefix(5)) vs \(reference.prefix(5))")
            }
            let sorted = reference.map { row[$0] }
            if sorted[0] - sorted[1] < Self.tieTolerance { ambiguousTop1 += 1 }
            if sorted[4] - sorted[5] < Self.tieTolerance { ambiguousTop5 += 1 }
        }
        let want = try #require(Self.metrics[templateSet])
        let got = result.report.metrics
        // Equal, except that a sample whose reference scores tie within float error may count either way.
        #expect(abs(got["acc1"]! - want["acc1"]!) <= Double(ambiguousTop1) / 360 + 1e-9, "\(got) vs \(want)")
        #expect(abs(got["acc5"]! - want["acc5"]!) <= Double(ambiguousTop5) / 360 + 1e-9, "\(got) vs \(want)")
        #expect(abs(got["mean_per_class_recall"]! - want["mean_per_class_recall"]!) <= Double(ambiguousTop1) / 36 + 1e-9, "\(got) vs \(want)")
        print("zero-shot \(templateSet): \(got) (reference \(want)); ambiguous top-1 \(ambiguousTop1), top-5 \(ambiguousTop5)")

        // A second run takes the image features and the classifier from the cache, with the same result.
        let again = try ZeroShotEvaluation.run(loaded: Self.model, modelName: "tiny", dataset: dataset, templates: templates,
                                               cacheDirectory: cache)
        #expect(again.report.imagesFromCache == 360 && again.report.classifierFromCache)
        #expect(again.report.metrics == got)
        #expect(again.rankings.map(\.classes) == result.rankings.map(\.classes))
    }

    @Test("retrieval recall@1/5/10 both ways equal CLIP_benchmark's computation", .needsReferenceData)
    func retrieval() throws {
        let train = try ReferenceData.sharedFile("datasets/digits/train.tsv")
        let dataset = try RetrievalDataset.table(train.path)
        #expect(dataset.imagePaths.count == 1437 && dataset.captions.count == 1437)
        let report = try RetrievalEvaluation.run(loaded: Self.model, modelName: "tiny", dataset: dataset, cacheDirectory: nil)
        #expect(report.failed == 0 && report.evaluatedCaptions == 1437)

        // Ambiguity from the reference features: queries whose positive scores within float error of
        // the k-th best candidate could count either way (many captions repeat word for word).
        let texts = try Self.expected.tensor("retrieval/text_features")
        let images = try Self.expected.tensor("retrieval/image_features")
        let scores = withNoGrad { matmul(texts, images, transposeB: true) }
        let want = try #require(Self.metrics["retrieval"])
        for k in [1, 5, 10] {
            for (key, matrix) in [("image_retrieval_recall@\(k)", scores), ("text_retrieval_recall@\(k)", scores.transposed().copied())] {
                let ambiguous = Self.ambiguousQueries(matrix, k: k)
                let got = try #require(report.metrics[key]), reference = try #require(want[key])
                #expect(abs(got - reference) <= Double(ambiguous) / 1437 + 1e-9, "\(key): \(got) vs \(reference), \(ambiguous) ambiguous")
            }
        }
        print("retrieval: \(report.metrics) (reference \(want))")
    }

    /// Queries (rows) whose diagonal positive could fall on either side of the top-k boundary when
    /// scores move by `tieTolerance`.
    static func ambiguousQueries(_ scores: Tensor, k: Int) -> Int {
        let n = scores.shape[0], m = scores.shape[1]
        let values = scores.scalars
        var count = 0
        for row in 0..<n {
            let positive = values[row * m + row]
            var surelyAbove = 0, possiblyAbove = 0
            for column in 0..<m where column != row {
                let value = values[row * m + column]
                if value > positive + tieTolerance { surelyAbove += 1 }
                if value > positive - tieTolerance { possiblyAbove += 1 }
            }
            if surelyAbove < k && possiblyAbove >= k { count += 1 }
        }
        return count
    }

    @Test("image features equal open_clip's through its own preprocessing", .needsReferenceData)
    func imageFeatures() throws {
        let digits = try ReferenceData.sharedFile("datasets/digits/test.tsv")
        let dataset = try ClassificationDataset.table(digits.path, classNames: nil)
        let extracted = try ImageFeatureExtractor(loaded: Self.model).extract(dataset.samples.map(\.path))
        let features = Tensor(shape: [360, 16], scalars: extracted.features.flatMap { $0! })
        let difference = maxDifference(l2Normalize(features), try Self.expected.tensor("zeroshot/image_features"))
        #expect(difference.value <= Self.featureTolerance, "\(difference)")
        // Labels from the column alone: sorted by name.
        #expect(dataset.classNames == ["eight", "five", "four", "nine", "one", "seven", "six", "three", "two", "zero"])
    }
}
