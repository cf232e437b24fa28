import CLIPImage
import CLIPTestSupport
import Foundation
import Testing

extension IndexSearchFixture {
    /// Each search hit as (path relative to `root`, score).
    static func hits(_ outcome: CLI.Outcome, root: URL) throws -> [(path: String, score: Double)] {
        try String(decoding: outcome.stdout, as: UTF8.self).split(separator: "\n").map { line in
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let path = try #require(record["path"] as? String)
            return (String(path.dropFirst(root.path.count + 1)), try #require(record["score"] as? Double))
        }
    }
}

@Suite("Index and search commands", .serialized)
struct SearchCommandTests {
    /// open_clip's embeddings and ours differ by float rounding; stored float16 rounds each feature
    /// to 11 significant bits, moving a score by up to about 1e-3.
    static let scoreTolerance = ["f32": 2e-4, "f16": 2e-3]

    @Test("clip search prints what open_clip and numpy rank first, for texts, images, arithmetic, --under, --threshold and --template, in f32 and f16 folders and in PostgreSQL",
          arguments: ["f32", "f16", "postgres"])
    func fidelity(_ store: String) throws {
        let photos = try IndexSearchFixture.photos("search-fidelity-photos-\(store)")
        let location: [String]
        if store == "postgres" {
            guard let url = TestPostgres.storeURL("fidelity") else { return }
            location = ["--store", url]
        } else {
            location = ["--index", temporaryDirectory("search-fidelity-index-\(store)").path]
        }
        // PostgreSQL keeps float32 vectors.
        let element = store == "postgres" ? "f32" : store
        let indexed = try CLI.run(["index", "--model", IndexSearchFixture.model] + location + ["--vector-dtype", element, "--json", photos.path])
        #expect(indexed.status == 0, "\(indexed.stderr)")
        let tolerance = Self.scoreTolerance[element]!
        for fixture in IndexSearchFixture.contents.cases where fixture.element == element {
            var arguments = ["search"] + location + ["--json", "--top", "\(fixture.top)"]
            if let threshold = fixture.threshold { arguments += ["--threshold", "\(threshold)"] }
            if let under = fixture.under { arguments += ["--under", photos.appendingPathComponent(under).path] }
            if let template = fixture.template { arguments += ["--template", template] }
            arguments += fixture.words.map { $0.replacingOccurrences(of: "{root}", with: photos.path) }
            let outcome = try CLI.run(arguments)
            #expect(outcome.status == 0, "\(fixture.name): \(outcome.stderr)")
            let hits = try IndexSearchFixture.hits(outcome, root: photos)
            #expect(hits.count == fixture.hits.count, "\(fixture.name): \(hits.map(\.path)) for \(fixture.hits.map(\.path))")
            #expect(Set(hits.map(\.path)).count == hits.count, "\(fixture.name): a file listed twice")
            for (rank, (hit, expected)) in zip(hits, fixture.hits).enumerated() {
                // Each rank's score is the reference's; files of nearly equal score may trade places.
                #expect(abs(hit.score - expected.score) < tolerance, "\(fixture.name) rank \(rank + 1): \(hit.score) for \(expected.score)")
                let ownScore = try #require(fixture.scores[hit.path], "\(fixture.name): \(hit.path) is not in the index")
                #expect(abs(hit.score - ownScore) < tolerance, "\(fixture.name) rank \(rank + 1): \(hit.path) scores \(ownScore) in the reference, not \(hit.score)")
                if let under = fixture.under { #expect(hit.path.hasPrefix(under + "/")) }
            }
        }
    }

    @Test("default output is score and path per line; --paths-only the paths")
    func textOutput() throws {
        let photos = try IndexSearchFixture.photos("search-text-photos")
        let index = temporaryDirectory("search-text-index").path
        #expect(try CLI.run(["index", "--model", IndexSearchFixture.model, "--index", index, photos.path]).status == 0)
        let query = photos.appendingPathComponent("a.png").path
        let plain = try CLI.run(["search", "--index", index, "--top", "2", query])
        let lines = String(decoding: plain.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("1.0000  ") || $0.hasPrefix("0.9999  ") }, "\(lines)")
        #expect(lines.first?.hasSuffix(" " + query) == true)
        let paths = try CLI.run(["search", "--index", index, "--top", "2", "--paths-only", query])
        #expect(String(decoding: paths.stdout, as: UTF8.self) == query + "\n" + photos.appendingPathComponent("copy of a.png").path + "\n")
    }

    @Test("clip index reports added, updated, moved, removed, unchanged and failed files, and search follows each change")
    func incremental() throws {
        let photos = temporaryDirectory("search-incremental-photos")
        let index = temporaryDirectory("search-incremental-index").path
        func place(_ source: String, _ name: String, age: TimeInterval = 100) throws {
            let target = photos.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: IndexSearchFixture.image(source), to: target)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: target.path)
        }
        func update() throws -> [String: Int] {
            let outcome = try CLI.run(["index", "--model", IndexSearchFixture.model, "--index", index, "--json", photos.path])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
            return report.compactMapValues { $0 as? Int }.filter { ["added", "updated", "moved", "removed", "unchanged", "failed"].contains($0.key) }
        }
        func search(_ image: String) throws -> [String] {
            let outcome = try CLI.run(["search", "--index", index, "--json", "--top", "20", "--threshold", "0.999", IndexSearchFixture.image(image).path])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            return try IndexSearchFixture.hits(outcome, root: photos).map(\.path).sorted()
        }

        try place("odd_97x61.png", "a.png")
        try place("square_224.jpg", "b.jpg")
        try place("la_gradient.png", "c.png")
        try place("tall_20x1000.jpg", "d.jpg")
        try place("palette_4bit.png", "excluded/e.png")
        try Data("not an image".utf8).write(to: photos.appendingPathComponent("notes.txt"))
        #expect(try update() == ["added": 5, "updated": 0, "moved": 0, "removed": 0, "unchanged": 0, "failed": 0])
        #expect(try search("square_224.jpg") == ["b.jpg"])

        try place("odd_97x61.png", "copy of a.png")                                         // copy
        try FileManager.default.createDirectory(at: photos.appendingPathComponent("moved"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: photos.appendingPathComponent("b.jpg"), to: photos.appendingPathComponent("moved/b.jpg"))
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: photos.appendingPathComponent("c.png").path)  // touch
        try place("wide_500x3.png", "d.jpg", age: 10)                                        // same name, new content
        try FileManager.default.removeItem(at: photos.appendingPathComponent("excluded/e.png"))   // delete
        var corrupt = try Data(contentsOf: IndexSearchFixture.image("square_336.jpg"))
        corrupt.removeSubrange(200..<corrupt.count)
        try corrupt.write(to: photos.appendingPathComponent("corrupt.jpg"))                 // truncated JPEG
        #expect(try update() == ["added": 1, "updated": 1, "moved": 1, "removed": 2, "unchanged": 2, "failed": 1])
        #expect(try search("odd_97x61.png") == ["a.png", "copy of a.png"])
        #expect(try search("square_224.jpg") == ["moved/b.jpg"])
        #expect(try search("tall_20x1000.jpg") == [])
        #expect(try search("wide_500x3.png") == ["d.jpg"])
        #expect(try search("palette_4bit.png") == [])

        let failures = try CLI.run(["index", "--index", index, "--failures", "--json"])
        let failure = try #require(try JSONSerialization.jsonObject(with: failures.stdout) as? [String: String])
        #expect(failure["path"] == photos.appendingPathComponent("corrupt.jpg").path && failure["reason"]?.isEmpty == false)
        #expect(try update() == ["added": 0, "updated": 0, "moved": 0, "removed": 0, "unchanged": 5, "failed": 1])

        // --exclude, --remove and compaction.
        try place("palette_4bit.png", "skip/e.png")
        let excluded = try CLI.run(["index", "--model", IndexSearchFixture.model, "--index", index, "--exclude", "skip", "--exclude", "c.*", "--json", photos.path])
        #expect(excluded.status == 0, "\(excluded.stderr)")
        let excludedReport = try JSONSerialization.jsonObject(with: excluded.stdout) as? [String: Any]
        #expect(excludedReport?["removed"] as? Int == 1, "c.png leaves: \(String(describing: excludedReport))")
        #expect(try search("palette_4bit.png") == [])
        #expect(try search("la_gradient.png") == [])
        let removed = try CLI.run(["index", "--index", index, "--remove", photos.appendingPathComponent("moved").path, "--compact", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: removed.stdout) as? [String: Any])
        #expect(report["removed"] as? Int == 1 && (report["reclaimed"] as? Int ?? 0) >= 3, "\(report)")
        #expect(try search("square_224.jpg") == [])
        #expect(try search("odd_97x61.png") == ["a.png", "copy of a.png"])
        #expect(try search("wide_500x3.png") == ["d.jpg"])
    }

    @Test("clip dedup groups planted copies, re-encodes and crops of a photo, and no two different photos, in a folder and in PostgreSQL",
          .needsReferenceData, arguments: [false, true])
    func dedup(postgres: Bool) throws {
        let photos = temporaryDirectory("dedup-photos-\(postgres)")
        let location: [String]
        if postgres {
            guard let url = TestPostgres.storeURL("dedup") else { return }
            location = ["--store", url]
        } else {
            location = ["--index", temporaryDirectory("dedup-index").path]
        }
        let decoder = ImageDecoder()
        for name in ["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "horse.png", "logo.png"] {
            try FileManager.default.copyItem(at: try ReferenceData.sharedFile("images/\(name)"), to: photos.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: photos.appendingPathComponent("astronaut.png"), to: photos.appendingPathComponent("astronaut copy.png"))
        let chelsea = try decoder.decode(contentsOf: photos.appendingPathComponent("chelsea.png").path)
        try chelsea.convertedToRGB().jpegData(quality: 60).write(to: photos.appendingPathComponent("chelsea re-encoded.jpg"))
        let coffee = try decoder.decode(contentsOf: photos.appendingPathComponent("coffee.png").path)
        let (width, height) = (coffee.width, coffee.height)
        try coffee.cropped(left: width * 6 / 100, top: height * 6 / 100, width: width * 88 / 100, height: height * 88 / 100)
            .convertedToRGB().jpegData(quality: 90).write(to: photos.appendingPathComponent("coffee cropped.jpg"))
        try FileManager.default.createDirectory(at: photos.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: photos.appendingPathComponent("coffee.png"), to: photos.appendingPathComponent("sub/coffee copy.png"))
        #expect(try CLI.run(["index", "--model", IndexSearchFixture.model] + location + [photos.path]).status == 0)

        let outcome = try CLI.run(["dedup"] + location + ["--threshold", "0.85", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let groups = try String(decoding: outcome.stdout, as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let files = groups.map { ($0["files"] as? [[String: Any]] ?? []).map { String(($0["path"] as? String ?? "").dropFirst(photos.path.count + 1)) } }
        #expect(files == [["coffee.png", "sub/coffee copy.png", "coffee cropped.jpg"], ["astronaut copy.png", "astronaut.png"],
                          ["chelsea.png", "chelsea re-encoded.jpg"]], "\(groups)")
        #expect(groups.map { $0["kind"] as? String } == ["near", "exact", "near"])
        let first = try #require((groups.first?["files"] as? [[String: Any]])?.first)
        #expect(first["width"] as? Int == 600 && first["height"] as? Int == 400 && first["similarity"] as? Double == 1)
    }

    @Test("--store and CLIP_INDEX_STORE keep the index in PostgreSQL; --export-to copies a folder there without encoding; the password never shows")
    func postgresStore() throws {
        guard let base = TestPostgres.storeURL("cli-store") else { return }
        // The test server trusts local users; a password in the URL is sent only if asked for.
        let url = base.replacingOccurrences(of: "://clip@", with: "://clip:s3cret-pw@")
        let photos = try IndexSearchFixture.photos("cli-store-photos")
        let indexed = try CLI.run(["index", "--model", IndexSearchFixture.model, "--store", url, "--json", photos.path])
        #expect(indexed.status == 0, "\(indexed.stderr)")
        #expect(!(String(decoding: indexed.stdout, as: UTF8.self) + indexed.stderr).contains("s3cret-pw"))
        let query = photos.appendingPathComponent("a.png").path
        let fromStore = try CLI.run(["search", "--store", url, "--top", "3", "--paths-only", query])
        let fromEnvironment = try CLI.run(["search", "--top", "3", "--paths-only", query], environment: ["CLIP_INDEX_STORE": url])
        #expect(fromStore.status == 0 && fromStore.stdout == fromEnvironment.stdout, "\(fromStore.stderr)\(fromEnvironment.stderr)")
        #expect(String(decoding: fromStore.stdout, as: UTF8.self).hasPrefix(query + "\n"))

        let folder = temporaryDirectory("cli-store-folder").path
        #expect(try CLI.run(["index", "--model", IndexSearchFixture.model, "--index", folder, "--vector-dtype", "f32", photos.path]).status == 0)
        guard let target = TestPostgres.storeURL("cli-export") else { return }
        let exported = try CLI.run(["index", "--index", folder, "--export-to", target, "--json"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: exported.stdout) as? [String: Any])
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["models"] as? Int == 1 && (summary["vectors"] as? Int ?? 0) > 0, "\(report)")
        let copied = try CLI.run(["search", "--store", target, "--top", "3", "--paths-only", query])
        #expect(copied.stdout == fromStore.stdout, "\(copied.stderr)")
        let both = try CLI.run(["search", "--index", folder, "--store", target, "a cat"])
        #expect(both.status != 0 && both.stderr.contains("not both"))
        let wrong = try CLI.run(["search", "--store", "postgresql://clip:s3cret-pw@127.0.0.1:1/none?sslmode=disable", "a cat"])
        #expect(wrong.status == 1 && !wrong.stderr.contains("s3cret-pw") && wrong.stderr.contains("127.0.0.1:1"), "\(wrong.stderr)")
    }

    @Test("searching an index with another model, or a folder with no index, is a clear error")
    func wrongModel() throws {
        let photos = try IndexSearchFixture.photos("search-model-photos")
        let index = temporaryDirectory("search-model-index").path
        #expect(try CLI.run(["index", "--model", IndexSearchFixture.model, "--index", index, photos.path]).status == 0)
        let other = try CLI.run(["search", "--index", index, "--model", TinyModel.directory.path, "a cat"])
        #expect(other.status == 1 && other.stderr.contains(TinyModel.directory.path) && other.stderr.contains("thumbnail-clip"), "\(other.stderr)")
        let missing = try CLI.run(["search", "--index", temporaryDirectory("search-no-index").path, "a cat"])
        #expect(missing.status == 1 && missing.stderr.contains("no index here"), "\(missing.stderr)")
        let noTerm = try CLI.run(["search", "--index", index, "a", "+"])
        #expect(noTerm.status == 1 && noTerm.stderr.contains("'+'"), "\(noTerm.stderr)")
    }
}
