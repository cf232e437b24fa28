import CLIPTestSupport
import Foundation
import Testing

/// The `clip` executable built beside the tests, run as a user runs it: what it prints on standard
/// output, on standard error, and its exit status.
enum CLI {
    struct Outcome {
        let status: Int32
        let stdout: Data
        let stderr: String
    }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clip")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so that a full pipe never blocks the child.
        nonisolated(unsafe) var stderr = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderr = errors.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// What a command's standard output must be.
enum StandardOutput: Sendable {
    /// One JSON object (a report with --json).
    case jsonObject
    /// One JSON value per line (records).
    case jsonLines(count: Int)
}

/// Folders and files that the command lines below work on, made once.
enum CommandFixtures {
    static let root = temporaryDirectory("output-convention")
    static let model = TinyModel.directory.path
    static let image = TinyModel.image

    /// An ImageFolder with two classes and a captions table beside the same images.
    static let data: (folder: String, captions: String, config: String) = {
        let folder = root.appendingPathComponent("folder")
        for (label, count) in [("cat", 2), ("dog", 2)] {
            try! FileManager.default.createDirectory(at: folder.appendingPathComponent(label), withIntermediateDirectories: true)
            for index in 0..<count {
                try! FileManager.default.copyItem(atPath: image, toPath: folder.appendingPathComponent("\(label)/\(index).png").path)
            }
        }
        let captions = root.appendingPathComponent("captions.tsv")
        try! Data("filepath\ttitle\nfolder/cat/0.png\ta cat\nfolder/cat/1.png\tanother cat\nfolder/dog/0.png\ta dog\nfolder/dog/1.png\ta dog again\n".utf8)
            .write(to: captions)
        let config = TinyModel.directory.appendingPathComponent("open_clip_config.json").path
        return (folder.path, captions.path, config)
    }()

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// An index of the ImageFolder's four copies of one image.
    static let index: String = {
        let index = path("index")
        let outcome = try! CLI.run(["index", "--model", model, "--index", index, data.folder])
        precondition(outcome.status == 0, outcome.stderr)
        return index
    }()

    /// Every command with arguments that make it succeed quickly, and the output it must print.
    static var cases: [(name: String, arguments: [String], output: StandardOutput)] {
        let data = Self.data
        return [
            ("doctor", ["doctor", "--gemm-size", "32", "--json"], .jsonObject),
            ("info", ["info", "--model", model, "--json"], .jsonObject),
            ("embed", ["embed", "--model", model, "--text", "a cat", "--text", "a dog", "--image", image], .jsonLines(count: 3)),
            ("similarity", ["similarity", "--model", model, "--image", image, "--text", "a", "--text", "b", "--json"], .jsonObject),
            ("bench", ["bench", "--model", model, "--iterations", "1", "--json"], .jsonObject),
            ("tokenize", ["tokenize", "a photo of a cat", "hello"], .jsonLines(count: 2)),
            ("preprocess", ["preprocess", image, "--size", "32", "-o", path("pixels.npy"), "--json"], .jsonObject),
            ("download", ["download", "--list-tags", "--json"], .jsonObject),
            ("cache list", ["cache", "list", "--json"], .jsonObject),
            ("convert", ["convert", model, "--output-dir", path("converted-\(UUID().uuidString)"), "--json"], .jsonObject),
            ("classify", ["classify", "--model", model, "--classes", "cat,dog", "--no-cache", image, image], .jsonLines(count: 2)),
            ("eval zeroshot", ["eval", "zeroshot", "--model", model, "--dataset", data.folder, "--templates", "simple", "--no-cache", "--json"], .jsonObject),
            ("eval retrieval", ["eval", "retrieval", "--model", model, "--dataset", data.captions, "--no-cache", "--json"], .jsonObject),
            ("linear-probe", ["linear-probe", "--model", model, "--train-data", data.folder, "--val-data", data.folder, "--no-cache", "--json"], .jsonObject),
            ("train", ["train", "--model-config", data.config, "--train-data", data.captions, "--batch-size", "2", "--steps", "2",
                       "--warmup", "1", "--output-dir", path("run-\(UUID().uuidString)"), "--json"], .jsonObject),
            ("bench-train", ["bench-train", "--model-config", data.config, "--batch-size", "2", "--steps", "1", "--warmup-steps", "0", "--json"], .jsonObject),
            ("index", ["index", "--model", model, "--index", path("index-\(UUID().uuidString)"), data.folder, "--json"], .jsonObject),
            ("search", ["search", "--index", index, "--top", "2", "--json", "a cat", "+", image], .jsonLines(count: 2)),
            ("dedup", ["dedup", "--index", index, "--json"], .jsonLines(count: 1)),
            ("demo", ["demo", "--steps", "2", "--train-images", "64", "--output-dir", path("demo"), "--json"], .jsonObject),
        ]
    }
}

@Suite("Every command follows the output convention", .serialized)
struct OutputConventionTests {
    @Test("results alone on standard output, valid JSON or JSON Lines, exit status 0", arguments: CommandFixtures.cases.map(\.name))
    func standardOutput(_ name: String) throws {
        let command = try #require(CommandFixtures.cases.first { $0.name == name })
        let outcome = try CLI.run(command.arguments, environment: ["HF_HUB_CACHE": CommandFixtures.path("hub-cache"), "HF_HUB_OFFLINE": "1"])
        #expect(outcome.status == 0, "\(command.arguments.joined(separator: " ")): \(outcome.stderr)")
        let text = String(decoding: outcome.stdout, as: UTF8.self)
        switch command.output {
        case .jsonObject:
            #expect(text.hasSuffix("\n") && text.dropLast().split(separator: "\n").count == 1, "one line: \(text)")
            #expect((try? JSONSerialization.jsonObject(with: outcome.stdout)) is [String: Any], "not one JSON object: \(text)")
        case let .jsonLines(count):
            let lines = text.split(separator: "\n")
            #expect(lines.count == count, "\(text)")
            for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)") }
        }
    }

    @Test("a usage error exits with 64, a failure at run time with 1; both explain on standard error and print no result")
    func exitStatuses() throws {
        let usage = try CLI.run(["embed", "--model", CommandFixtures.model, "--batch-size", "0", "--text", "x"])
        #expect(usage.status == 64 && usage.stdout.isEmpty && usage.stderr.contains("--batch-size"))
        let runtime = try CLI.run(["info", "--model", "/nonexistent/model"])
        #expect(runtime.status == 1 && runtime.stdout.isEmpty && runtime.stderr.contains("/nonexistent/model"))
        let badSetting = try CLI.run(["train", "--model-config", "ViT-B-32", "--train-data", "/nonexistent.tsv", "--batch-size", "2",
                                      "--output-dir", CommandFixtures.path("never"), "--lr", "-1"])
        #expect(badSetting.status == 64 && badSetting.stderr.contains("--lr"))
        for arguments in [["embed", "--model", CommandFixtures.model, "--batch-size", "-1", "--text", "x"],
                          ["classify", "--model", CommandFixtures.model, "--classes", "a,b", "--top-k", "-3", CommandFixtures.image],
                          ["preprocess", CommandFixtures.image, "--size", "-5", "-o", CommandFixtures.path("never.npy")],
                          ["tokenize", "--context-length", "-2", "hi"]] {
            // A negative number is a value out of range, not a missing value.
            let negative = try CLI.run(arguments)
            #expect(negative.status == 64 && !negative.stderr.contains("Missing value"), "\(arguments): \(negative.stderr)")
        }
        let unknownValue = try CLI.run(["convert", CommandFixtures.model, "--output-dir", CommandFixtures.path("never"), "--layout", "onnx"])
        #expect(unknownValue.status == 64 && unknownValue.stderr.contains("openclip") && unknownValue.stderr.contains("hf"))
    }

    @Test("--output writes the report's JSON atomically while standard output keeps the text")
    func reportToFile() throws {
        let file = CommandFixtures.path("info.json")
        let outcome = try CLI.run(["info", "--model", CommandFixtures.model, "--output", file])
        #expect(outcome.status == 0)
        #expect(String(decoding: outcome.stdout, as: UTF8.self).contains("architecture:"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        #expect(report["embed_dim"] as? Int == 8)
    }

    @Test("train --help groups its options by concern and lists the values of closed sets")
    func trainHelp() throws {
        // Lines wrap at the terminal width: compare with runs of white space as one space.
        let help = String(decoding: try CLI.run(["train", "--help"]).stdout, as: UTF8.self)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for title in ["MODEL:", "DATA:", "OPTIMISER AND SCHEDULE:", "FINE-TUNING (LIT, LORA):", "DISTILLATION:", "VALIDATION:", "RUN AND CHECKPOINTS:"] {
            #expect(help.contains(title), "no group \(title)")
        }
        #expect(help.contains("values: clip, siglip"))
        #expect(help.contains("values: default, none"))
        #expect(help.contains("values: both, image, text"))
        #expect(help.contains("--shuffle/--no-shuffle"))
    }
}

@Suite("Hub commands follow the output convention", .serialized)
struct HubOutputConventionTests {
    @Test("download REF and cache remove print one JSON object with --json; progress stays on standard error")
    func downloadAndRemove() throws {
        let server = try FakeHubServer()
        defer { server.stop() }
        let names = try FileManager.default.contentsOfDirectory(atPath: TinyModel.directory.path)
        server.publish("acme/tiny", files: try Dictionary(uniqueKeysWithValues: names.map {
            ($0, try Data(contentsOf: TinyModel.directory.appendingPathComponent($0)))
        }))
        let environment = ["HF_ENDPOINT": server.endpoint, "HF_HUB_CACHE": temporaryDirectory("hub-convention").path]
        let download = try CLI.run(["download", "acme/tiny", "--json"], environment: environment)
        #expect(download.status == 0, "\(download.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: download.stdout) as? [String: Any])
        let path = try #require(report["path"] as? String)
        #expect(FileManager.default.fileExists(atPath: path + "/open_clip_config.json"))
        #expect(download.stderr.contains("open_clip_model.safetensors"), "a summary line per file on standard error")

        let remove = try CLI.run(["cache", "remove", "acme/tiny", "--json"], environment: environment)
        #expect(remove.status == 0, "\(remove.stderr)")
        let removed = try #require(try JSONSerialization.jsonObject(with: remove.stdout) as? [String: Any])
        #expect(removed["repository"] as? String == "acme/tiny" && (removed["freed_bytes"] as? Int ?? 0) > 0)
    }
}
