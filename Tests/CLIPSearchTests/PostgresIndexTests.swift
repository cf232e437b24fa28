import CLIPModel
import CLIPTestSupport
import Foundation
import Testing

@testable import CLIPSearch

/// What only the PostgreSQL store does (several writers at once, connections that drop, export
/// from a folder), and that it answers as the folder store does, against the server `make test` starts.
@Suite("PostgreSQL index store")
struct PostgresIndexTests {
    /// Photos for two indexers: `shared` below both roots, `left` and `right` below one each, and a
    /// copy of one shared image in `right`.
    static func overlappingTrees(_ name: String) throws -> URL {
        let photos = temporaryDirectory("\(name)-photos")
        for (source, target) in [("odd_97x61.png", "shared/a.png"), ("square_224.jpg", "shared/b.jpg"), ("lossy.webp", "shared/c.webp"),
                                 ("tiny_2x3.png", "left/d.png"), ("tall_20x1000.jpg", "left/e.jpg"), ("odd_333x171.jpg", "right/f.jpg"),
                                 ("square_336.jpg", "right/g.jpg"), ("odd_97x61.png", "right/copy of a.png")] {
            try IndexFixtures.place(source, target, in: photos)
        }
        return photos
    }

    @Test("two indexers on overlapping trees at once neither duplicate nor lose rows; a third run finds nothing to do")
    func concurrentIndexers() throws {
        guard let url = TestStores.postgresURL("concurrent") else { return }
        let photos = try Self.overlappingTrees("concurrent")
        let roots = [[photos.path], [photos.appendingPathComponent("shared").path, photos.appendingPathComponent("right").path]]
        let errors = LockedErrors()
        // Two stores (two pools), two model instances: as two machines would.
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            do {
                let index = ImageIndex(store: try PostgresIndexStore(PostgresLocation(url)))
                var options = ImageIndex.UpdateOptions(reference: "tiny")
                options.batchSize = 1
                options.commitEvery = 1
                _ = try index.update(roots: roots[worker], model: try IndexFixtures.model(seed: 31), options: options)
            } catch {
                errors.append(error)
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        let store = try PostgresIndexStore(PostgresLocation(url))
        let index = ImageIndex(store: store)
        let model = try #require(try index.models().first)
        let table = PostgresIndexStore.vectorTable(model)
        #expect(try index.fileCounts().files == 8)
        #expect(try store.integer("SELECT count(*) FROM \(table)") == 7, "one vector per content")
        #expect(try store.integer("SELECT count(*) FROM clip_file f WHERE NOT EXISTS (SELECT 1 FROM \(table) v WHERE v.content_hash = f.content_hash)") == 0)
        let again = try index.update(roots: [photos.path], model: try IndexFixtures.model(seed: 31), reference: "tiny")
        #expect(again.unchanged == 8 && again.encoded == 0, "\(again)")
    }

    @Test("a connection dropped in the middle of an update's transaction fails the run clearly, leaves nothing half-written, and the next run completes it")
    func droppedConnection() throws {
        guard let url = TestStores.postgresURL("dropped") else { return }
        let location = try PostgresLocation(url)
        let photos = try Self.overlappingTrees("dropped")
        let store = try PostgresIndexStore(location, connections: 1)
        let index = ImageIndex(store: store)
        let killer = try PostgresIndexStore(location, connections: 2)
        let loaded = try IndexFixtures.model(seed: 32)
        var options = ImageIndex.UpdateOptions(reference: "tiny")
        options.batchSize = 1
        options.commitEvery = 1
        let writer = "application_name = 'swift-clip \(location.schema)' AND pid <> pg_backend_pid()"
        options.progress = { done, _ in
            // Before the second file's step: lock the files table, so that the step's transaction
            // stops inside (its vectors inserted, its files waiting), end the writer's session from
            // the server's side there, and let go.
            guard done == 2 else { return }
            let locked = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                try? killer.pool.transaction("holding the files") { connection in
                    try connection.execute("LOCK TABLE clip_file IN EXCLUSIVE MODE")
                    locked.signal()
                    for _ in 0..<200 where (try? killer.integer("SELECT count(*) FROM pg_stat_activity WHERE \(writer) AND wait_event_type = 'Lock'")) == 0 {
                        Thread.sleep(forTimeInterval: 0.02)
                    }
                    try killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE \(writer) AND wait_event_type = 'Lock'")
                }
            }
            locked.wait()
        }
        do {
            _ = try index.update(roots: [photos.path], model: loaded, options: options)
            Issue.record("the update went on after its connection was dropped")
        } catch let error as SearchError {
            guard case let .store(place, reason) = error else { Issue.record("\(error)"); return }
            #expect(place == location.description && reason.contains("storing an update"), "\(reason)")
        }
        let model = try #require(try index.models().first)
        let table = PostgresIndexStore.vectorTable(model)
        #expect(try index.fileCounts().files == 1, "the first file's step committed, the second's did not")
        #expect(try store.integer("SELECT count(*) FROM \(table)") == 1, "the second step's vector went with its transaction")
        options.progress = nil
        let completed = try index.update(roots: [photos.path], model: loaded, options: options)
        #expect(completed.unchanged == 1 && completed.added == 7 && completed.encoded == 6, "\(completed)")
        #expect(try store.integer("SELECT count(*) FROM clip_file f WHERE NOT EXISTS (SELECT 1 FROM \(table) v WHERE v.content_hash = f.content_hash)") == 0)
    }

    @Test("a connection the server closed while the pool held it is replaced: the next step runs on a new one")
    func closedIdleConnection() throws {
        guard let url = TestStores.postgresURL("idle-closed") else { return }
        let location = try PostgresLocation(url)
        let store = try PostgresIndexStore(location, connections: 1)
        #expect(try store.models().isEmpty)
        let other = try PostgresIndexStore(location, connections: 1)
        try other.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'swift-clip \(location.schema)' AND pid <> pg_backend_pid()")
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try store.models().isEmpty)
    }

    @Test("the folder store and PostgreSQL answer the same searches (all, below a folder, over a threshold) and find the same duplicates")
    func sameResultsAsTheFolderStore() throws {
        guard let url = TestStores.postgresURL("same") else { return }
        let photos = try Self.overlappingTrees("same")
        let loaded = try IndexFixtures.model(seed: 33)
        let folder = try ImageIndex(directory: temporaryDirectory("same-store"))
        let postgres = ImageIndex(store: try PostgresIndexStore(PostgresLocation(url)))
        for index in [folder, postgres] {
            _ = try index.update(roots: [photos.path], model: loaded, reference: "tiny", element: .float32)
        }
        let raw = try #require(try ImageFeatureExtractor(loaded: loaded).extract([photos.appendingPathComponent("right/f.jpg").path]).features[0])
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let query = raw.map { $0 / norm }
        func expectSame(_ a: [ImageIndex.Hit], _ b: [ImageIndex.Hit], _ what: String) {
            #expect(a.map(\.path) == b.map(\.path), "\(what)")
            #expect(zip(a, b).allSatisfy { abs($0.score - $1.score) < Self.scoreTolerance }, "\(what)")
        }
        let (a, b) = (try folder.model(for: loaded), try postgres.model(for: loaded))
        expectSame(try folder.search(query, in: a, top: 10), try postgres.search(query, in: b, top: 10), "all")
        expectSame(try folder.search(query, in: a, top: 3), try postgres.search(query, in: b, top: 3), "top 3")
        let shared = photos.appendingPathComponent("shared").path
        expectSame(try folder.search(query, in: a, top: 10, under: shared), try postgres.search(query, in: b, top: 10, under: shared), "under")
        let threshold = try folder.search(query, in: a, top: 10)[3].score - 1e-4
        let over = try postgres.search(query, in: b, top: 10, threshold: threshold)
        expectSame(try folder.search(query, in: a, top: 10, threshold: threshold), over, "threshold")
        #expect(over.count >= 4 && over.count < 8, "\(over.count)")
        for threshold: Float in [0.5, 0.9, 0.999, 1] {
            let groups = (try folder.duplicates(in: a, threshold: threshold), try postgres.duplicates(in: b, threshold: threshold))
            #expect(groups.0.map { $0.files.map(\.path) } == groups.1.map { $0.files.map(\.path) }, "\(threshold)")
            #expect(groups.0.map(\.kind) == groups.1.map(\.kind), "\(threshold)")
        }
        let other = try IndexFixtures.model(seed: 34)
        #expect(throws: SearchError.self) { try postgres.search(query, model: other, top: 1) }
    }

    /// Both stores score in float32, summing in different orders.
    static let scoreTolerance: Float = 1e-5

    @Test("an index folder exported to PostgreSQL answers as the folder does without encoding again; exporting again copies no vector twice")
    func exportFromAFolder() throws {
        guard let url = TestStores.postgresURL("export") else { return }
        let (folder, photos, loaded, query) = try #require(try ImageIndexTests.smallIndex("export", seed: 35))
        try Data([0xFF, 0xD8, 0xFF]).write(to: photos.appendingPathComponent("broken.jpg"))
        _ = try folder.update(roots: [photos.path], model: loaded, reference: "tiny", element: .float32)
        let target = ImageIndex(store: try PostgresIndexStore(PostgresLocation(url)))
        let summary = try folder.export(to: target)
        #expect(summary == ImageIndex.ExportSummary(files: 7, vectors: 5, models: 1), "\(summary)")
        #expect(try target.failures().map(\.path) == [photos.appendingPathComponent("broken.jpg").path])
        #expect(try target.roots() == folder.roots())
        let hits = try target.search(query, model: loaded, top: 10)
        let expected = try folder.search(query, model: loaded, top: 10)
        #expect(hits.map(\.path) == expected.map(\.path) && zip(hits, expected).allSatisfy { abs($0.score - $1.score) < Self.scoreTolerance })
        #expect(try folder.export(to: target).vectors == 0)
        let update = try target.update(roots: [photos.path], model: loaded, reference: "tiny")
        #expect(update.encoded == 0 && update.unchanged == 6, "\(update)")
    }

    @Test("IVFFlat: built with the lists asked for, replaced by HNSW or dropped on request; approximate searches of a small index are exact")
    func ivfflat() throws {
        guard let (index, photos, loaded, query) = try ImageIndexTests.smallIndex("ivfflat", seed: 36, kind: .postgres) else { return }
        let store = try #require(index.store as? PostgresIndexStore)
        let model = try index.model(for: loaded)
        #expect(try store.annIndex(model) == nil)
        var options = ImageIndex.UpdateOptions(reference: "tiny")
        options.graph = .ivfflat
        options.lists = 2
        #expect(try index.update(roots: [photos.path], model: loaded, options: options).graph)
        #expect(try store.annIndex(model) == .ivfflat(lists: 2))
        let exact = try index.search(query, in: model, top: 5, exact: true)
        #expect(try index.search(query, in: model, top: 5, ef: 16).map(\.path) == exact.map(\.path), "two probes: every list")
        options.graph = .hnsw
        _ = try index.update(roots: [photos.path], model: loaded, options: options)
        #expect(try store.annIndex(model) == .hnsw)
        options.graph = .none
        #expect(try !index.update(roots: [photos.path], model: loaded, options: options).graph)
        #expect(try !index.hasANNIndex(model))
        let folder = try #require(try ImageIndexTests.smallIndex("ivfflat-folder", seed: 36))
        options.graph = .ivfflat
        #expect(throws: SearchError.self) { try folder.index.update(roots: [folder.photos.path], model: loaded, options: options) }
    }
}

/// Errors collected from concurrent workers.
final class LockedErrors: @unchecked Sendable {
    private var errors: [any Error] = []
    private let lock = NSLock()

    func append(_ error: any Error) { lock.withLock { errors.append(error) } }
    var all: [any Error] { lock.withLock { errors } }
}
