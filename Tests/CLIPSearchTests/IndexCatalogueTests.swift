import CLIPSearch
import CLIPTestSupport
import Foundation
import Testing

@Suite("Index catalogue")
struct IndexCatalogueTests {
    static func catalogue(_ name: String) throws -> IndexCatalogue {
        try IndexCatalogue(path: temporaryDirectory("catalogue-\(name)").appendingPathComponent("index.sqlite").path)
    }

    @Test("a new catalogue is in WAL mode; reopening keeps what was recorded; a model fingerprint keeps its width")
    func createAndReopen() throws {
        let catalogue = try Self.catalogue("reopen")
        #expect(try catalogue.journalMode() == "wal")
        let model = try catalogue.model(reference: "ViT-B-32", fingerprint: "abc", width: 512, element: .float16)
        try catalogue.record([.init(path: "/photos/a.jpg", size: 10, modified: 1.5, contentHash: "h1")])
        let reopened = try IndexCatalogue(path: catalogue.path)
        #expect(try reopened.models() == [model])
        #expect(try reopened.file("/photos/a.jpg") == .init(id: 1, path: "/photos/a.jpg", size: 10, modified: 1.5, contentHash: "h1"))
        #expect(try reopened.model(reference: "other name", fingerprint: "abc", width: 512, element: .float16) == model)
        #expect(throws: SearchError.self) { try reopened.model(reference: "x", fingerprint: "abc", width: 768, element: .float16) }
        #expect(try reopened.model(reference: "x", fingerprint: "abc", width: 512, element: .float32).element == .float16, "a held model keeps its element type")
    }

    @Test("files are upserted, failures recorded and cleared, removed files forgotten, folders matched by whole components")
    func files() throws {
        let catalogue = try Self.catalogue("files")
        try catalogue.record([.init(path: "/p/a.jpg", size: 1, modified: 1, contentHash: "h1"),
                              .init(path: "/p/sub/b.jpg", size: 2, modified: 2, failure: "corrupt image"),
                              .init(path: "/pp/c.jpg", size: 3, modified: 3, contentHash: "h3")])
        #expect(try catalogue.files(under: "/p").map(\.path) == ["/p/a.jpg", "/p/sub/b.jpg"])
        #expect(try catalogue.file("/p/sub/b.jpg")?.failure == "corrupt image")
        try catalogue.record([.init(path: "/p/sub/b.jpg", size: 5, modified: 9, contentHash: "h2")])
        #expect(try catalogue.file("/p/sub/b.jpg") == .init(id: 2, path: "/p/sub/b.jpg", size: 5, modified: 9, contentHash: "h2"),
                "an updated file keeps its id")
        try catalogue.remove(["/p/a.jpg"])
        #expect(try catalogue.files().map(\.path) == ["/p/sub/b.jpg", "/pp/c.jpg"])
    }

    @Test("vectors are shared by files of the same content; the referenced row count bounds the vector file")
    func vectors() throws {
        let catalogue = try Self.catalogue("vectors")
        let model = try catalogue.model(reference: "m", fingerprint: "f", width: 4, element: .float32)
        #expect(try catalogue.referencedRowCount(model: model) == 0)
        try catalogue.record([.init(path: "/p/a.jpg", size: 1, modified: 1, contentHash: "h1"),
                              .init(path: "/p/copy of a.jpg", size: 1, modified: 2, contentHash: "h1"),
                              .init(path: "/q/b.jpg", size: 2, modified: 2, contentHash: "h2")])
        try catalogue.recordVectors(model: model, [("h1", 0), ("h2", 1)])
        #expect(try catalogue.row(model: model, contentHash: "h2") == 1)
        #expect(try catalogue.row(model: model, contentHash: "h9") == nil)
        #expect(try catalogue.referencedRowCount(model: model) == 2)
        #expect(try catalogue.paths(model: model).mapValues { $0.map(\.path) } == [0: ["/p/a.jpg", "/p/copy of a.jpg"], 1: ["/q/b.jpg"]])
        #expect(try catalogue.paths(model: model, under: "/q").mapValues { $0.map(\.path) } == [1: ["/q/b.jpg"]])
        try catalogue.remove(["/q/b.jpg"])
        #expect(try catalogue.paths(model: model).mapValues { $0.map(\.path) } == [0: ["/p/a.jpg", "/p/copy of a.jpg"]])
    }

    @Test("file ids are never reused after a removal; roots are kept once each")
    func idsAndRoots() throws {
        let catalogue = try Self.catalogue("ids")
        try catalogue.record([.init(path: "/p/a.jpg", size: 1, modified: 1), .init(path: "/p/b.jpg", size: 1, modified: 1)])
        try catalogue.remove(["/p/b.jpg"])
        try catalogue.record([.init(path: "/p/c.jpg", size: 1, modified: 1)])
        #expect(try catalogue.files().map(\.id) == [1, 3])
        #expect(try catalogue.file(id: 3)?.path == "/p/c.jpg")
        #expect(try catalogue.file(id: 2) == nil)
        try catalogue.recordRoots(["/p", "/q"])
        try catalogue.recordRoots(["/p"])
        #expect(try catalogue.roots() == ["/p", "/q"])
        let counts = try catalogue.fileCounts()
        #expect(counts.files == 2 && counts.failed == 0)
    }

    @Test("a file that is not a catalogue is refused with SQLite's reason")
    func notACatalogue() throws {
        let path = temporaryPath("not-a-catalogue.sqlite").path
        try Data(repeating: 0x41, count: 4_096).write(to: URL(fileURLWithPath: path))
        #expect(throws: SearchError.self) { try IndexCatalogue(path: path) }
    }
}
