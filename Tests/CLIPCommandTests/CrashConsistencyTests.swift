import CLIPEvaluation
import CLIPSearch
import CLIPTestSupport
import Foundation
import Testing

/// `clip` killed with SIGKILL part-way: what it had written before is whole, and the next run
/// carries on.
@Suite("Crash consistency", .serialized)
struct CrashConsistencyTests {
    /// Starts `clip` with `arguments`, its output discarded.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func entries(_ folder: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    }

    @Test("clip train killed while writing a checkpoint: the earlier checkpoints load, and --resume finishes the run")
    func trainingCheckpoint() throws {
        let data = CommandFixtures.data
        let run = temporaryDirectory("crash-train")
        let checkpoints = run.appendingPathComponent("checkpoints")
        let training = ["train", "--model-config", data.config, "--train-data", data.captions, "--batch-size", "2", "--steps", "40",
                        "--warmup", "1", "--save-every", "1", "--output-dir", run.path]
        // Kill as soon as a checkpoint is being staged while an earlier one is complete. Each
        // checkpoint takes milliseconds to write; a poll every 100 µs finds one within a few steps.
        var abandoned: String? = nil
        for _ in 0..<3 where abandoned == nil {
            try? FileManager.default.removeItem(at: run)
            let process = try Self.start(training)
            while process.isRunning {
                let names = Self.entries(checkpoints)
                if let staging = names.first(where: { $0.hasPrefix(".step_") && $0.contains(".partial-") }),
                   names.contains(where: { $0.hasPrefix("step_") }) {
                    kill(process.processIdentifier, SIGKILL)
                    abandoned = staging
                    break
                }
                usleep(100)
            }
            process.waitUntilExit()
        }
        let staging = try #require(abandoned, "never caught clip train writing a checkpoint")
        #expect(Self.entries(checkpoints).contains(staging), "the killed write left its staging folder")

        // Every complete checkpoint loads as a model.
        let complete = Self.entries(checkpoints).filter { $0.hasPrefix("step_") }.sorted()
        #expect(!complete.isEmpty)
        for name in complete {
            let embed = try CLI.run(["embed", "--model", checkpoints.appendingPathComponent(name).path, "--text", "a cat"])
            #expect(embed.status == 0, "\(name): \(embed.stderr)")
        }

        // Resuming from the run folder picks the newest complete checkpoint and finishes.
        let resumed = try CLI.run(training + ["--resume", run.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = Self.entries(checkpoints)
        #expect(after.contains("step_000040"))
        #expect(!after.contains { $0.contains(".partial-") }, "abandoned staging folders are removed: \(after)")
    }

    @Test("clip eval killed at twelve points of its run: the embedding cache is always absent or whole, never damaged")
    func embeddingCache() throws {
        let data = CommandFixtures.data
        let cache = temporaryDirectory("crash-cache")
        let embeddings = cache.appendingPathComponent("embeddings")
        let evaluation = ["eval", "zeroshot", "--model", TinyModel.directory.path, "--dataset", data.folder, "--templates", "simple",
                          "--cache-dir", cache.path, "--json"]
        func expectWholeOrAbsent() {
            for name in Self.entries(embeddings) where name.hasSuffix(".embeddings") {
                let store = EmbeddingCache(directory: embeddings, modelFingerprint: String(name.dropLast(".embeddings".count)), width: 8)
                #expect(!store.discardedDamagedFile, "\(name) is damaged")
            }
        }
        let uncached = try CLI.run(Array(evaluation.dropLast(3)) + ["--no-cache", "--json"])
        #expect(uncached.status == 0, "\(uncached.stderr)")
        for attempt in 0..<12 {
            try? FileManager.default.removeItem(at: cache)
            let process = try Self.start(evaluation)
            usleep(useconds_t(25_000 * attempt))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            expectWholeOrAbsent()
        }
        // After the last kill, a whole run fills the cache, reads it back, and answers as without it.
        let first = try CLI.run(evaluation), second = try CLI.run(evaluation)
        #expect(first.status == 0 && second.status == 0, "\(first.stderr) \(second.stderr)")
        func report(_ outcome: CLI.Outcome) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
        }
        let expected = try #require(try report(uncached)["metrics"] as? [String: Double])
        #expect(try report(first)["metrics"] as? [String: Double] == expected)
        #expect(try report(second)["metrics"] as? [String: Double] == expected)
        #expect(try report(second)["images_from_cache"] as? Int == 4, "the second run reads every image from the cache")
        expectWholeOrAbsent()
        #expect(!Self.entries(embeddings).contains { $0.hasSuffix(".tmp") }, "\(Self.entries(embeddings))")
    }

    @Test("clip index killed while reading, encoding, appending vectors (in PostgreSQL: inside the step's transaction), committing and compacting: every query in between succeeds, and the next run ends where an uninterrupted run does",
          arguments: [false, true])
    func index(postgres: Bool) throws {
        let photos = try IndexSearchFixture.photos("crash-index-photos-\(postgres)")
        let reference: String, crashed: String
        if postgres {
            guard let first = TestPostgres.storeURL("crash-reference"), let second = TestPostgres.storeURL("crash-crashed") else { return }
            (reference, crashed) = (first, second)
        } else {
            (reference, crashed) = (temporaryDirectory("crash-index-reference").path, temporaryDirectory("crash-index-crashed").path)
        }
        let option = postgres ? "--store" : "--index"
        func indexing(_ index: String) -> [String] {
            ["index", "--model", IndexSearchFixture.model, option, index, "--batch-size", "2", "--commit-every", "2", photos.path]
        }
        func killed(_ arguments: [String], at point: String) throws {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["CLIP_TEST_KILL_AT": point, "SWIFT_BACKTRACE": "enable=no"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL, "\(point): the run was not killed")
        }
        let queries = ["a.png", "square/c.jpg", "i.png", "j.jpg"].map { photos.appendingPathComponent($0).path }
        func results(_ index: String) throws -> [Data] {
            try queries.map { query in
                let outcome = try CLI.run(["search", option, index, "--json", "--top", "20", query])
                #expect(outcome.status == 0, "a search between crashes failed: \(outcome.stderr)")
                return outcome.stdout
            }
        }

        #expect(try CLI.run(indexing(reference)).status == 0)
        for point in ["read:3", "encoded:2", "appended:2", "committed:2", "read:2"] {
            try killed(indexing(crashed), at: point)
            _ = try results(crashed)
        }
        let resumed = try CLI.run(indexing(crashed) + ["--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try results(crashed) == results(reference))

        let files = { (index: String) in try ImageIndex.open(location: index).files().map { [$0.path, $0.contentHash ?? ""] } }
        #expect(try files(crashed) == files(reference))
        guard !postgres else { return }

        // Compaction killed after writing its new vector file, before the catalogue switched to it.
        for name in ["b.jpg", "square/c.jpg", "h.png"] { try FileManager.default.removeItem(at: photos.appendingPathComponent(name)) }
        #expect(try CLI.run(indexing(reference) + ["--compact"]).status == 0)
        try killed(indexing(crashed) + ["--compact"], at: "compacting:1")
        _ = try results(crashed)
        #expect(try CLI.run(indexing(crashed) + ["--compact"]).status == 0)
        #expect(try results(crashed) == results(reference))
        let vectorFiles = Self.entries(URL(fileURLWithPath: crashed)).filter { $0.hasPrefix("vectors-") }
        #expect(vectorFiles.count == 1, "the abandoned vector file is removed: \(vectorFiles)")
        #expect(try files(crashed) == files(reference))
    }
}
