@testable import CLIPEvaluation
import CLIPModel
import CLIPTensor
import CLIPTestSupport
import CLIPTokenizer
import Foundation
import Testing

@Suite("Datasets, metrics, templates and caches")
struct DatasetTests {

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A real PNG from the image fixtures.
    static let png = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLIPImageTests/Fixtures/images/odd_97x61.png")

    @Test("CSV and TSV: quotes, doubled quotes, separators and newlines inside quotes, CRLF, line numbers")
    func tables() throws {
        let root = temporaryDirectory("dataset-" + "tables")
        let csv = root.appendingPathComponent("a.csv")
        try Self.write("filepath,title\r\n\"x, y.png\",\"a \"\"quoted\"\" caption\"\r\nz.png,\"two\nlines\"\r\n\r\n", to: csv)
        let table = try DelimitedTable(path: csv.path)
        #expect(table.columns == ["filepath", "title"])
        #expect(table.rows.map(\.fields) == [["x, y.png", "a \"quoted\" caption"], ["z.png", "two\nlines"]])
        #expect(table.rows.map(\.line) == [2, 3])
        let tsv = root.appendingPathComponent("b.tsv")
        try Self.write("filepath\tlabel\na.png\tcat\nb.png\n", to: tsv)
        #expect(throws: TableError.malformed(path: tsv.path, line: 3, reason: "1 fields, the header has 2")) {
            _ = try DelimitedTable(path: tsv.path)
        }
        let open = root.appendingPathComponent("c.csv")
        try Self.write("filepath,title\n\"never closed,x\n", to: open)
        #expect(throws: TableError.malformed(path: open.path, line: 2, reason: "a quoted field is never closed")) {
            _ = try DelimitedTable(path: open.path)
        }
        let invalid = root.appendingPathComponent("d.csv")
        try Data([0x66, 0x2C, 0xFF, 0x0A]).write(to: invalid)
        #expect(throws: TokenizerError.invalidUTF8(path: invalid.path, offset: 2)) { _ = try DelimitedTable(path: invalid.path) }
    }

    @Test("labelled tables: names or indices, classes from a file or the column, paths relative to the table")
    func classificationTables() throws {
        let root = temporaryDirectory("dataset-" + "labels")
        try Self.write("cat\ndog\nbird\n", to: root.appendingPathComponent("classes.txt"))
        try Self.write("filepath\tlabel\nimgs/1.png\tdog\n/abs/2.png\t2\n", to: root.appendingPathComponent("data/named.tsv"))
        let named = try ClassificationDataset.table(root.appendingPathComponent("data/named.tsv").path,
                                                    classNames: try ClassificationDataset.readClassNames(root.appendingPathComponent("classes.txt").path))
        #expect(named.classNames == ["cat", "dog", "bird"])
        #expect(named.samples == [.init(path: root.appendingPathComponent("data/imgs/1.png").path, label: 1), .init(path: "/abs/2.png", label: 2)])
        try Self.write("filepath,label\na.png,10\nb.png,2\nc.png,10\n", to: root.appendingPathComponent("numbers.csv"))
        let numbers = try ClassificationDataset.table(root.appendingPathComponent("numbers.csv").path, classNames: nil)
        #expect(numbers.classNames == ["2", "10"])
        #expect(numbers.samples.map(\.label) == [1, 0, 1])
        try Self.write("filepath\tlabel\na.png\tfish\n", to: root.appendingPathComponent("unknown.tsv"))
        let unknown = root.appendingPathComponent("unknown.tsv").path
        #expect(throws: EvaluationError.unknownLabel(path: unknown, line: 2, label: "fish")) {
            _ = try ClassificationDataset.table(unknown, classNames: try ClassificationDataset.readClassNames(root.appendingPathComponent("classes.txt").path))
        }
        #expect(throws: TableError.missingColumn(path: unknown, column: "class", found: ["filepath", "label"])) {
            _ = try ClassificationDataset.table(unknown, classNames: nil, labelColumn: "class")
        }
    }

    @Test("an ImageFolder tree: sorted class folders, image files only, hidden files skipped")
    func imageFolder() throws {
        let root = temporaryDirectory("dataset-" + "tree")
        for (folder, files) in [("dog", ["b.png", "a.JPG", "notes.txt", ".hidden.png"]), ("cat", ["x.webp", "sub/y.png"]), (".git", ["z.png"])] {
            for file in files { try Self.write("x", to: root.appendingPathComponent("\(folder)/\(file)")) }
        }
        let dataset = try ClassificationDataset.open(root.path)
        #expect(dataset.classNames == ["cat", "dog"])
        #expect(dataset.samples.map { String($0.path.dropFirst(root.path.count + 1)) } == ["cat/sub/y.png", "cat/x.webp", "dog/a.JPG", "dog/b.png"])
        #expect(dataset.samples.map(\.label) == [0, 0, 1, 1])
        #expect(throws: EvaluationError.self) { _ = try ClassificationDataset.open(root.appendingPathComponent("nothing").path) }
    }

    @Test("captions group by image in first-seen order")
    func retrievalTable() throws {
        let root = temporaryDirectory("dataset-" + "captions")
        try Self.write("filepath\ttitle\nb.png\tone\na.png\ttwo\nb.png\tthree\n", to: root.appendingPathComponent("c.tsv"))
        let dataset = try RetrievalDataset.table(root.appendingPathComponent("c.tsv").path)
        #expect(dataset.imagePaths == [root.appendingPathComponent("b.png").path, root.appendingPathComponent("a.png").path])
        #expect(dataset.captions == ["one", "two", "three"])
        #expect(dataset.imageOfCaption == [0, 1, 0])
    }

    @Test("metrics: top-k accuracy, mean per-class recall over the classes present, recall@K with several captions per image")
    func metrics() {
        let rankings = [[0, 1, 2], [2, 0, 1], [1, 2, 0], [1, 0, 2]]
        let targets = [0, 0, 2, 1]
        #expect(ClassificationMetrics.topKAccuracy(rankings: rankings, targets: targets, k: 1) == 0.5)
        #expect(ClassificationMetrics.topKAccuracy(rankings: rankings, targets: targets, k: 2) == 1.0)
        // Class 0: 1 of 2 right; class 1: 1 of 1; class 2: 0 of 1. (Predicting class 1 for a class-2 image
        // does not add a class.) Mean = (0.5 + 1 + 0) / 3.
        #expect(abs(ClassificationMetrics.meanPerClassRecall(predictions: rankings.map { $0[0] }, targets: targets) - 0.5) < 1e-12)
        // Two images, three captions: caption 0 and 2 describe image 0.
        let text = Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 0.6, 0.8])
        let image = Tensor(shape: [2, 2], scalars: [0, 1, 1, 0])
        let report = RetrievalMetrics.report(textFeatures: text, imageFeatures: image, imageOfCaption: [0, 1, 0], ks: [1, 2])
        // Text→image: caption 0 best matches image 1 (wrong), caption 1 image 0 (wrong), caption 2 image 0 (right).
        #expect(abs(report["image_retrieval_recall@1"]! - 1.0 / 3) < 1e-12)
        #expect(report["image_retrieval_recall@2"] == 1)
        // Image→text: image 0's best caption is 1 (wrong); image 1's best is 0 (wrong).
        #expect(report["text_retrieval_recall@1"] == 0)
        #expect(report["text_retrieval_recall@2"] == 0.5)
    }

    @Test("templates: built-in sets, JSON lists and objects, one per line; a template without {} is refused")
    func templates() throws {
        #expect(PromptTemplates.standard.templates.count >= 20)
        for builtIn in [PromptTemplates.standard, .simple, .chinese] {
            #expect(try PromptTemplates(name: builtIn.name, templates: builtIn.templates) == builtIn)   // passes validation
        }
        #expect(Set(PromptTemplates.standard.templates).count == PromptTemplates.standard.templates.count)
        #expect(PromptTemplates.simple.prompts(for: "cat") == ["a photo of a cat."])
        #expect(try PromptTemplates.named("default") == .standard)
        #expect(try PromptTemplates.named("chinese").prompts(for: "猫").first == "猫的照片。")
        #expect(PromptTemplates.builtInNames.allSatisfy { (try? PromptTemplates.named($0)) != nil })
        let root = temporaryDirectory("dataset-" + "templates")
        try Self.write(#"["a {}.", "the {}!"]"#, to: root.appendingPathComponent("list.json"))
        try Self.write(#"{"templates": ["x {}"]}"#, to: root.appendingPathComponent("object.json"))
        try Self.write("# mine\na {} here\n\nanother {}\n", to: root.appendingPathComponent("lines.txt"))
        try Self.write("no placeholder\n", to: root.appendingPathComponent("bad.txt"))
        #expect(try PromptTemplates.named(root.appendingPathComponent("list.json").path).templates == ["a {}.", "the {}!"])
        #expect(try PromptTemplates.named(root.appendingPathComponent("object.json").path).templates == ["x {}"])
        #expect(try PromptTemplates.named(root.appendingPathComponent("lines.txt").path).templates == ["a {} here", "another {}"])
        #expect(throws: ZeroShotError.self) { _ = try PromptTemplates.named(root.appendingPathComponent("bad.txt").path) }
        #expect(throws: ZeroShotError.self) { _ = try PromptTemplates.named(root.appendingPathComponent("missing.txt").path) }
    }

    @Test("the embedding cache round-trips, and a damaged file is ignored rather than trusted")
    func embeddingCache() throws {
        let root = temporaryDirectory("dataset-" + "cache")
        let cache = EmbeddingCache(directory: root, modelFingerprint: "abc", width: 3)
        let hash = String(repeating: "0f", count: 32)
        cache.insert(hash, [1, 2, 3])
        try cache.save()
        let reopened = EmbeddingCache(directory: root, modelFingerprint: "abc", width: 3)
        #expect(reopened.lookup(hash) == [1, 2, 3])
        #expect(!reopened.discardedDamagedFile)
        let data = try Data(contentsOf: cache.file)
        try data.prefix(data.count - 5).write(to: cache.file)
        let damaged = EmbeddingCache(directory: root, modelFingerprint: "abc", width: 3)
        #expect(damaged.count == 0 && damaged.discardedDamagedFile)
        let otherWidth = EmbeddingCache(directory: root, modelFingerprint: "abc", width: 4)
        #expect(otherWidth.count == 0)
    }

    @Test("missing and unreadable images are reported and counted; the rest are evaluated")
    func failuresDoNotAbort() throws {
        let model = try CLIPLoader.load(path: ReferenceData.fixturesDirectory().appendingPathComponent("tiny_open_clip").path)
        let root = temporaryDirectory("dataset-" + "failures")
        try FileManager.default.copyItem(at: Self.png, to: root.appendingPathComponent("good.png"))
        try Self.write("not an image", to: root.appendingPathComponent("broken.png"))
        try Self.write("filepath,label\ngood.png,a\nbroken.png,b\nmissing.png,a\n", to: root.appendingPathComponent("set.csv"))
        let dataset = try ClassificationDataset.table(root.appendingPathComponent("set.csv").path, classNames: nil)
        let result = try ZeroShotEvaluation.run(loaded: model, modelName: "tiny", dataset: dataset, templates: .simple, cacheDirectory: nil)
        #expect(result.report.evaluated == 1 && result.report.failed == 2)
        #expect(result.report.failures.map { ($0.path as NSString).lastPathComponent } == ["broken.png", "missing.png"])
        #expect(result.report.failures[1].reason == "no such file or directory")
        try Self.write("filepath\ttitle\ngood.png\ta photo\nmissing.png\tgone\n", to: root.appendingPathComponent("captions.tsv"))
        let retrieval = try RetrievalEvaluation.run(loaded: model, modelName: "tiny",
                                                    dataset: try RetrievalDataset.table(root.appendingPathComponent("captions.tsv").path),
                                                    cacheDirectory: nil)
        #expect(retrieval.evaluatedImages == 1 && retrieval.evaluatedCaptions == 1 && retrieval.failed == 1)
        #expect(retrieval.metrics["image_retrieval_recall@1"] == 1)
    }
}
