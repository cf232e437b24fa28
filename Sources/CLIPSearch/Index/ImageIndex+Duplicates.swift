import CLIPImage
import CLIPModel
import Foundation

extension ImageIndex {
    /// Files that show the same picture.
    public struct DuplicateGroup: Equatable, Sendable, Codable {
        /// `exact` when every file has the same bytes, else `near`.
        public enum Kind: String, Sendable, Codable {
            case exact
            case near
        }

        /// Whether the files are byte-for-byte copies.
        public var kind: Kind
        /// The files, largest first (pixels, then bytes, then path).
        public var files: [DuplicateFile]
    }

    /// One file of a duplicate group.
    public struct DuplicateFile: Equatable, Sendable, Codable {
        /// The file.
        public var path: String
        /// Its size in bytes.
        public var size: Int
        /// Its width and height, when known.
        public var pixelSize: PixelSize?
        /// Cosine similarity with the group's first file (1 for copies of it).
        public var similarity: Float
        /// The catalogue's id of the file.
        public var id: Int64 = 0
    }

    /// Groups of files that are copies (same content) or near-duplicates (cosine similarity ≥
    /// `threshold` under `loaded`, joined transitively), largest group first.
    public func duplicates(model loaded: LoadedModel, threshold: Float = 0.95) throws -> [DuplicateGroup] {
        try duplicates(in: model(for: loaded), threshold: threshold)
    }

    /// `duplicates` with the store's entry of the model.
    public func duplicates(in model: IndexModel, threshold: Float = 0.95) throws -> [DuplicateGroup] {
        guard threshold.isFinite, threshold <= 1 else { throw SearchError.invalidQuery("the similarity threshold must be a number ≤ 1, not \(threshold)") }
        return try store.withLiveVectors(model) { matrix, filesByRow in
            try Self.duplicateGroups(matrix: matrix, filesByRow: filesByRow, threshold: threshold)
        }
    }

    /// The groups among the vectors of `matrix` whose rows have files (`filesByRow`).
    static func duplicateGroups(matrix: VectorMatrix, filesByRow: [Int: [IndexFile]], threshold: Float) throws -> [DuplicateGroup] {
        let rows = filesByRow.keys.sorted()
        var sets = DisjointSets(count: rows.count)
        for pair in try NearPairs.find(in: matrix, rows: rows, threshold: threshold) { sets.join(pair.a, pair.b) }
        var members: [Int: [Int]] = [:]
        for index in rows.indices { members[sets.root(index), default: []].append(rows[index]) }

        var groups: [DuplicateGroup] = []
        for groupRows in members.values {
            let files = groupRows.flatMap { row in (filesByRow[row] ?? []).map { (row, $0) } }
            guard files.count > 1 else { continue }
            let ordered = files.sorted { lhs, rhs in
                let (a, b) = (lhs.1, rhs.1)
                let (pixelsA, pixelsB) = (a.pixelSize?.pixelCount ?? 0, b.pixelSize?.pixelCount ?? 0)
                if pixelsA != pixelsB { return pixelsA > pixelsB }
                if a.size != b.size { return a.size > b.size }
                return a.path < b.path
            }
            let first = try matrix.row(ordered[0].0)
            var group = DuplicateGroup(kind: groupRows.count == 1 ? .exact : .near, files: [])
            for (row, file) in ordered {
                let vector = row == ordered[0].0 ? first : try matrix.row(row)
                let similarity = row == ordered[0].0 ? 1 : zip(first, vector).reduce(0) { $0 + $1.0 * $1.1 }
                group.files.append(DuplicateFile(path: file.path, size: file.size, pixelSize: file.pixelSize, similarity: similarity, id: file.id))
            }
            groups.append(group)
        }
        return groups.sorted { $0.files.count != $1.files.count ? $0.files.count > $1.files.count : $0.files[0].path < $1.files[0].path }
    }
}
