@testable import CLIPCommand
import ArgumentParser
import CLIPTestSupport
import Foundation
import Testing

@Suite("Classification and evaluation commands", .serialized)
struct EvaluationCommandTests {
    @Test("classify writes one line per image in order, top-k probabilities best first, and an error line for a bad image")
    func classify() throws {
        let output = temporaryPath("evalcmd-" + "classify.jsonl")
        let missing = "/nonexistent/picture.png"
        let command = try #require(try CLIPCommand.parseAsRoot([
            "classify", "--model", TinyModel.directory.path, "--classes", "cat, dog,car", "--top-k", "2", "--no-cache",
            "--output", output.path, TinyModel.image, missing, TinyModel.image]) as? ClassifyCommand)
        #expect(throws: ExitCode(1)) { try command.run() }
        let records = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.map { $0["image"] as? String } == [TinyModel.image, missing, TinyModel.image])
        #expect(records[1]["error"] as? String == "no such file or directory")
        let predictions = try #require(records[0]["predictions"] as? [[String: Any]])
        #expect(predictions.count == 2)
        let scores = predictions.compactMap { $0["score"] as? Double }
        #expect(scores.count == 2 && scores[0] >= scores[1] && scores.reduce(0, +) <= 1 + 1e-6)
        #expect(Set(predictions.compactMap { $0["label"] as? String }).isSubset(of: ["cat", "dog", "car"]))
        #expect((records[2]["predictions"] as? [[String: Any]])?.compactMap { $0["label"] as? String }
            == predictions.compactMap { $0["label"] as? String })
        #expect(throws: (any Error).self) { try CLIPCommand.parseAsRoot(["classify", "--model", "m", TinyModel.image]) }
    }

    @Test("eval zeroshot on an ImageFolder counts an unreadable image and reports the metrics; the second run uses the cache")
    func zeroShotFolder() throws {
        let root = temporaryPath("evalcmd-" + "folder")
        for (folder, names) in [("cat", ["a.png", "b.png"]), ("dog", ["c.png"])] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            for name in names { try FileManager.default.copyItem(atPath: TinyModel.image, toPath: root.appendingPathComponent("\(folder)/\(name)").path) }
        }
        try Data("broken".utf8).write(to: root.appendingPathComponent("dog/broken.png"))
        let cache = temporaryPath("evalcmd-" + "cache")
        func run() throws -> [String: Any] {
            let report = temporaryPath("evalcmd-" + "report.json")
            let command = try #require(try CLIPCommand.parseAsRoot([
                "eval", "zeroshot", "--model", TinyModel.directory.path, "--dataset", root.path, "--templates", "simple",
                "--cache-dir", cache.path, "--output", report.path]) as? EvalCommand.ZeroShot)
            try command.run()
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        }
        let first = try run()
        #expect(first["images"] as? Int == 4 && first["evaluated"] as? Int == 3 && first["failed"] as? Int == 1)
        #expect(first["classes"] as? Int == 2 && first["template_count"] as? Int == 1)
        let metrics = try #require(first["metrics"] as? [String: Double])
        #expect(metrics["acc5"] == 1)   // two classes: the true one is always in the top 5
        let second = try run()
        #expect(second["images_from_cache"] as? Int == 3 && second["classifier_from_cache"] as? Bool == true)
        #expect(second["metrics"] as? [String: Double] == metrics)
    }

    @Test("eval retrieval writes recall@1/5/10 both ways")
    func retrieval() throws {
        let root = temporaryPath("evalcmd-" + "retrieval")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TinyModel.image, toPath: root.appendingPathComponent("a.png").path)
        try Data("filepath,title\na.png,a small picture\na.png,\"another, longer caption\"\n".utf8).write(to: root.appendingPathComponent("c.csv"))
        let report = temporaryPath("evalcmd-" + "retrieval.json")
        let command = try #require(try CLIPCommand.parseAsRoot([
            "eval", "retrieval", "--model", TinyModel.directory.path, "--dataset", root.appendingPathComponent("c.csv").path,
            "--no-cache", "--output", report.path]) as? EvalCommand.Retrieval)
        try command.run()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(json["captions"] as? Int == 2 && json["images"] as? Int == 1)
        let metrics = try #require(json["metrics"] as? [String: Double])
        #expect(metrics.keys.sorted() == ["image_retrieval_recall@1", "image_retrieval_recall@10", "image_retrieval_recall@5",
                                          "text_retrieval_recall@1", "text_retrieval_recall@10", "text_retrieval_recall@5"])
        #expect(metrics["image_retrieval_recall@1"] == 1 && metrics["text_retrieval_recall@1"] == 1)
    }
}
