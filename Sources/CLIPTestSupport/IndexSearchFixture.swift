import Foundation

/// The thumbnail CLIP of `Scripts/make_search_index_fixtures.py`, its index of fixture images, and the
/// results open_clip and numpy give for searches of it.
public enum IndexSearchFixture {
    /// A reference result.
    public struct Hit: Decodable, Sendable {
        /// Relative to the photos folder.
        public let path: String
        /// Cosine similarity.
        public let score: Double
    }

    /// One search and the reference's answer.
    public struct Case: Decodable, Sendable {
        /// What the case checks.
        public let name: String
        /// `clip search`'s query words; `{root}` stands for the photos folder.
        public let words: [String]
        /// Results asked for.
        public let top: Int
        /// `--threshold`, if any.
        public let threshold: Double?
        /// `--under`, relative to the photos folder, if any.
        public let under: String?
        /// `--template`, if any.
        public let template: String?
        /// The index's vector element type, f32 or f16.
        public let element: String
        /// The reference's results, best first.
        public let hits: [Hit]
        /// The reference's score of every indexed file.
        public let scores: [String: Double]
    }

    /// The fixture file.
    public struct Contents: Decodable, Sendable {
        /// Indexed path → fixture image name.
        public let files: [String: String]
        /// The searches.
        public let cases: [Case]
    }

    /// `Tests/CLIPSearchTests/Fixtures`.
    public static let fixtures = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/CLIPSearchTests/Fixtures")
    /// The thumbnail CLIP's directory.
    public static let model = fixtures.appendingPathComponent("thumbnail-clip").path
    /// The fixture's searches.
    public static let contents: Contents = try! JSONDecoder().decode(Contents.self, from: Data(contentsOf: fixtures.appendingPathComponent("index_search.json")))

    /// A fixture image of the image tests.
    public static func image(_ name: String) -> URL {
        fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("CLIPImageTests/Fixtures/images/\(name)")
    }

    /// A folder holding the fixture's files.
    public static func photos(_ name: String) throws -> URL {
        let root = temporaryDirectory(name)
        for (path, source) in contents.files {
            let target = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: image(source), to: target)
        }
        return root
    }
}
