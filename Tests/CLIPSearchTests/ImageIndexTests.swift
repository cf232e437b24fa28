import CLIPFileSystem
import CLIPImage
import CLIPModel
@testable import CLIPSearch
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// A tiny random CLIP (open_clip layout) and a few fixture images.
enum IndexFixtures {
    static func model(seed: UInt64) throws -> LoadedModel {
        let directory = temporaryDirectory("index-model-\(seed)")
        let config = #"{"model_cfg": {"embed_dim": 8, "quick_gelu": true, "vision_cfg": {"image_size": 32, "layers": 1, "width": 16, "patch_size": 16, "head_width": 8}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 1}}}"#
        try Data(config.utf8).write(to: directory.appendingPathComponent("open_clip_config.json"))
        let model = CLIP(try CLIPConfiguration.openCLIP(json: Data(config.utf8), source: "tiny"))
        var generator = RandomGenerator(seed: seed)
        let weights = Dictionary(uniqueKeysWithValues: model.namedParameters().map { name, parameter in
            (name, name == "logit_scale" ? Tensor(2.659) : Tensor.normal(parameter.wrappedValue.shape, std: 0.2, using: &generator))
        })
        try SafeTensorsWriter.write(weights, to: directory.appendingPathComponent("open_clip_model.safetensors").path)
        return try CLIPLoader.load(path: directory.path)
    }

    static func image(_ name: String) -> URL {
        ReferenceData.fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLIPImageTests/Fixtures/images/\(name)")
    }

    /// Copies fixture `source` to `folder/name`, with a modification time `age` seconds in the past.
    static func place(_ source: String, _ name: String, in folder: URL, age: TimeInterval = 100) throws {
        let target = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: image(source), to: target)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: target.path)
    }
}

@Suite("Image index, in a folder and in PostgreSQL", .serialized)
struct ImageIndexTests {
    @Test("updates encode only new content: unchanged, copied, moved, touched, modified, removed and failed files are told apart",
          arguments: StoreKind.allCases)
    func incremental(kind: StoreKind) throws {
        let loaded = try IndexFixtures.model(seed: 3)
        let photos = temporaryDirectory("index-photos-\(kind)")
        try IndexFixtures.place("odd_97x61.png", "a.png", in: photos)
        try IndexFixtures.place("square_224.jpg", "b.jpg", in: photos)
        try IndexFixtures.place("lossy.webp", "c.webp", in: photos)
        try IndexFixtures.place("tiny_5x7.jpg", "sub/d.jpg", in: photos)
        try IndexFixtures.place("odd_333x171.jpg", ".hidden.jpg", in: photos)
        try Data("notes".utf8).write(to: photos.appendingPathComponent("notes.txt"))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: photos.appendingPathComponent("broken.jpg"))
        guard let index = try TestStores.index(kind, "incremental") else { return }
        func update() throws -> ImageIndex.UpdateSummary {
            try index.update(roots: [photos.path], model: loaded, reference: "tiny", batchSize: 2)
        }

        var first = ImageIndex.UpdateSummary()
        first.added = 4; first.failed = 1; first.encoded = 4
        #expect(try update() == first)
        #expect(try index.file(photos.appendingPathComponent("broken.jpg").path)?.failure?.isEmpty == false)

        var again = ImageIndex.UpdateSummary()
        again.unchanged = 4; again.failed = 1
        #expect(try update() == again)

        try FileManager.default.copyItem(at: photos.appendingPathComponent("a.png"), to: photos.appendingPathComponent("copy of a.png"))
        try FileManager.default.moveItem(at: photos.appendingPathComponent("b.jpg"), to: photos.appendingPathComponent("sub/moved b.jpg"))
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: photos.appendingPathComponent("c.webp").path)
        try IndexFixtures.place("square_336.jpg", "sub/d.jpg", in: photos, age: 10)
        try FileManager.default.removeItem(at: photos.appendingPathComponent("broken.jpg"))
        var changes = ImageIndex.UpdateSummary()
        changes.added = 1; changes.moved = 1; changes.removed = 2; changes.unchanged = 2; changes.updated = 1; changes.encoded = 1
        #expect(try update() == changes)
        #expect(try index.files(under: photos.path).map { $0.path.replacingOccurrences(of: photos.path + "/", with: "") }
                == ["a.png", "c.webp", "copy of a.png", "sub/d.jpg", "sub/moved b.jpg"])
    }

    @Test("a search finds the query image and its copies first; --under limits the folder; another model is refused",
          arguments: StoreKind.allCases)
    func search(kind: StoreKind) throws {
        let loaded = try IndexFixtures.model(seed: 5)
        let photos = temporaryDirectory("search-photos-\(kind)")
        for (source, name) in [("odd_97x61.png", "a.png"), ("odd_97x61.png", "sub/same as a.png"), ("square_224.jpg", "b.jpg"),
                               ("lossy.webp", "sub/c.webp"), ("tiny_2x3.png", "e.png")] {
            try IndexFixtures.place(source, name, in: photos)
        }
        guard let index = try TestStores.index(kind, "search") else { return }
        _ = try index.update(roots: [photos.path], model: loaded, reference: "tiny", element: .float32)
        let raw = try #require(try ImageFeatureExtractor(loaded: loaded).extract([IndexFixtures.image("odd_97x61.png").path]).features[0])
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let query = raw.map { $0 / norm }
        let hits = try index.search(query, model: loaded, top: 3)
        #expect(hits.prefix(2).map(\.path) == [photos.appendingPathComponent("a.png").path, photos.appendingPathComponent("sub/same as a.png").path])
        #expect(hits.prefix(2).allSatisfy { abs($0.score - 1) < 1e-5 })
        #expect(hits.count == 3 && hits[2].score < hits[1].score)
        let under = try index.search(query, model: loaded, top: 10, under: photos.appendingPathComponent("sub").path)
        #expect(under.map(\.path).allSatisfy { $0.hasPrefix(photos.appendingPathComponent("sub").path + "/") } && under.count == 2)
        #expect(throws: SearchError.self) { try index.search(query, model: try IndexFixtures.model(seed: 6), top: 1) }
    }

    @Test("vectors appended by an update that never committed are cut off by the next update")
    func uncommittedVectors() throws {
        let loaded = try IndexFixtures.model(seed: 7)
        let photos = temporaryDirectory("uncommitted-photos")
        try IndexFixtures.place("odd_97x61.png", "a.png", in: photos)
        let store = temporaryDirectory("uncommitted-store")
        _ = try ImageIndex(directory: store).update(roots: [photos.path], model: loaded, reference: "tiny")
        let vectorFile = try #require(try FileManager.default.contentsOfDirectory(atPath: store.path).first { $0.hasPrefix("vectors-") })
        let matrix = try VectorMatrix(path: store.appendingPathComponent(vectorFile).path, width: 8, element: .float16)
        try matrix.append([[Float](repeating: 1, count: 8), [Float](repeating: 2, count: 8)])
        #expect(matrix.count == 3)
        let reopened = try ImageIndex(directory: store)
        try IndexFixtures.place("square_224.jpg", "b.jpg", in: photos)
        var summary = ImageIndex.UpdateSummary()
        summary.unchanged = 1; summary.added = 1; summary.encoded = 1
        #expect(try reopened.update(roots: [photos.path], model: loaded, reference: "tiny") == summary)
        #expect(try VectorMatrix(path: store.appendingPathComponent(vectorFile).path, width: 8, element: .float16, writable: false).count == 2)
    }

    /// An index of a few fixture images, f32, and a query vector for the image of `a.png`.
    static func smallIndex(_ name: String, seed: UInt64, kind: StoreKind = .embedded) throws
        -> (index: ImageIndex, photos: URL, loaded: LoadedModel, query: [Float])? {
        let loaded = try IndexFixtures.model(seed: seed)
        let photos = temporaryDirectory("\(name)-\(kind)-photos")
        for (source, target) in [("odd_97x61.png", "a.png"), ("odd_97x61.png", "copy of a.png"), ("square_224.jpg", "b.jpg"),
                                 ("lossy.webp", "c.webp"), ("tiny_2x3.png", "d.png"), ("tall_20x1000.jpg", "e.jpg")] {
            try IndexFixtures.place(source, target, in: photos)
        }
        guard let index = try TestStores.index(kind, name) else { return nil }
        _ = try index.update(roots: [photos.path], model: loaded, reference: "tiny", element: .float32)
        let raw = try #require(try ImageFeatureExtractor(loaded: loaded).extract([photos.appendingPathComponent("a.png").path]).features[0])
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (index, photos, loaded, raw.map { $0 / norm })
    }

    @Test("compaction drops the vectors of vanished content and keeps every file's (in a folder: in a new vector file)",
          arguments: StoreKind.allCases)
    func compaction(kind: StoreKind) throws {
        guard let (index, photos, loaded, query) = try Self.smallIndex("compact", seed: 9, kind: kind) else { return }
        for name in ["b.jpg", "c.webp"] { try FileManager.default.removeItem(at: photos.appendingPathComponent(name)) }
        var options = ImageIndex.UpdateOptions(reference: "tiny")
        options.compactAbove = nil
        let summary = try index.update(roots: [photos.path], model: loaded, options: options)
        #expect(summary.removed == 2 && summary.reclaimed == 0)
        let before = try index.search(query, model: loaded, top: 10)
        #expect(before.count == 4)
        #expect(try index.compact() == 2)
        #expect(try index.compact() == 0)
        #expect(try index.search(query, model: loaded, top: 10) == before)
        if let store = index.store as? EmbeddedIndexStore {
            let files = try FileManager.default.contentsOfDirectory(atPath: store.directory.path).filter { $0.hasPrefix("vectors-") }
            #expect(files.count == 1 && files[0].hasSuffix("-1.f32"), "\(files)")
        }
        // Past the garbage fraction an update compacts on its own.
        try FileManager.default.removeItem(at: photos.appendingPathComponent("e.jpg"))
        try FileManager.default.removeItem(at: photos.appendingPathComponent("d.png"))
        options.compactAbove = 0.5
        #expect(try index.update(roots: [photos.path], model: loaded, options: options).reclaimed == 2)
        #expect(try index.search(query, model: loaded, top: 10).map(\.path) == ["a.png", "copy of a.png"].map { photos.appendingPathComponent($0).path })
    }

    @Test("one writer at a time: an update while another holds the lock is refused, and searches carry on")
    func writersLock() throws {
        let (index, photos, loaded, query) = try #require(try Self.smallIndex("lock", seed: 10))
        let held = try FileLock(URL(fileURLWithPath: index.location).appendingPathComponent("write.lock"))
        #expect(throws: SearchError.busy(index: index.location)) {
            try index.update(roots: [photos.path], model: loaded, reference: "tiny")
        }
        #expect(throws: SearchError.busy(index: index.location)) { try index.compact() }
        #expect(try index.search(query, model: loaded, top: 2).count == 2)
        withExtendedLifetime(held) {}
    }

    @Test("a vector file cut short or deleted: searches answer from what is left or say what is missing, and the next update encodes the lost rows again")
    func damagedVectorFile() throws {
        let (index, photos, loaded, query) = try #require(try Self.smallIndex("damaged", seed: 12))
        let folder = URL(fileURLWithPath: index.location)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix("vectors-") })
        let path = folder.appendingPathComponent(name).path
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: 32 + 2 * 8 * 4 + 5)
        try handle.close()
        let reopened = try ImageIndex(directory: folder)
        #expect(try reopened.search(query, model: loaded, top: 10).count == 3, "rows 0 and 1: a.png with its copy, and b.jpg")
        #expect(try reopened.update(roots: [photos.path], model: loaded, reference: "tiny", element: .float32).encoded == 3)
        #expect(try reopened.search(query, model: loaded, top: 10).count == 6)

        try FileManager.default.removeItem(atPath: path)
        let again = try ImageIndex(directory: folder)
        #expect(throws: SearchError.self) { try again.search(query, model: loaded, top: 10) }
        #expect(try again.update(roots: [photos.path], model: loaded, reference: "tiny", element: .float32).encoded == 5)
        #expect(try again.search(query, model: loaded, top: 10).count == 6)
    }

    @Test("duplicates: files of one content form an exact group; the pixel size of a copy comes from its original",
          arguments: StoreKind.allCases)
    func exactDuplicates(kind: StoreKind) throws {
        guard let (index, photos, loaded, _) = try Self.smallIndex("duplicates", seed: 13, kind: kind) else { return }
        let groups = try index.duplicates(model: loaded, threshold: 1.5 - 0.5)
        let exact = try #require(groups.first { $0.kind == .exact })
        #expect(exact.files.map(\.path) == ["a.png", "copy of a.png"].map { photos.appendingPathComponent($0).path })
        #expect(exact.files.allSatisfy { $0.pixelSize == PixelSize(width: 97, height: 61) && $0.similarity == 1 })
        #expect(throws: SearchError.self) { try index.duplicates(model: loaded, threshold: .nan) }
    }

    @Test("a model's fingerprint is remembered under its weights' source key, which changes when the file does",
          arguments: StoreKind.allCases)
    func rememberedFingerprint(kind: StoreKind) throws {
        let loaded = try IndexFixtures.model(seed: 14)
        guard let index = try TestStores.index(kind, "fingerprint") else { return }
        let key = try #require(ModelFingerprint.sourceKey(of: loaded))
        #expect(try index.store.fingerprint(sourceKey: key) == nil)
        #expect(try index.fingerprint(of: loaded) == ModelFingerprint.of(loaded))
        #expect(try index.store.fingerprint(sourceKey: key) == ModelFingerprint.of(loaded))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -5)], ofItemAtPath: loaded.weightsPath)
        #expect(ModelFingerprint.sourceKey(of: loaded) != key)
    }
}
