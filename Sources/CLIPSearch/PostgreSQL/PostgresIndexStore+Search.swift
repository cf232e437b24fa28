import Foundation
import PostgresNIO

extension PostgresIndexStore {
    /// pgvector's largest `hnsw.ef_search`.
    static let maximumSearchBreadth = 1_000

    /// The number of IVFFlat lists probed for a search of breadth `ef`: an eighth of it (12 at the
    /// default breadth), at least one (pgvector probes every list when asked for more than there are).
    static func probes(ef: Int) -> Int {
        max(1, ef / 8)
    }

    public func search(_ query: [Float], in model: IndexModel, top: Int, threshold: Float, under folder: String?, exact: Bool,
                       ef: Int) throws -> [ImageIndex.Hit] {
        guard top > 0 else { return [] }
        let table = Self.vectorTable(model)
        let queryVector = PGVectorValue(elements: query, psqlType: vectorType)
        if let folder {
            // Every file below the folder, scanned: an ANN index would return its nearest rows
            // before the folder filter removed most of them.
            return try pool.transaction("searching") { connection in
                try connection.execute("SET LOCAL enable_indexscan = off")
                var binds = PostgresBindings(capacity: 3)
                binds.append(queryVector)
                binds.append(Self.likePattern(below: folder))
                binds.append(top)
                let rows = try connection.rows(PostgresQuery(unsafeSQL: """
                    SELECT v.id, (v.embedding <#> $1)::float8 AS distance, f.id, f.path
                    FROM clip_file f JOIN \(table) v ON v.content_hash = f.content_hash
                    WHERE f.path LIKE $2 ORDER BY distance, f.path LIMIT $3
                    """, binds: binds))
                return try rows.compactMap { row in
                    let (vectorID, distance, fileID, path) = try row.decode((Int64, Double, Int64, String).self)
                    let score = Float(-distance)
                    return score >= threshold ? ImageIndex.Hit(path: path, score: score, id: fileID, row: Int(vectorID)) : nil
                }
            }
        }
        var wanted = top + 16
        while true {
            let (hits, rowsFound) = try pool.transaction("searching") { connection in
                // Set for whichever index the table has (none: the scan is exact anyway); asking
                // the catalogue which one would cost a round trip per search.
                if exact {
                    try connection.execute("SET LOCAL enable_indexscan = off")
                } else {
                    try connection.execute(PostgresQuery(unsafeSQL: "SET LOCAL hnsw.ef_search = \(min(max(ef, wanted), Self.maximumSearchBreadth))"))
                    try connection.execute(PostgresQuery(unsafeSQL: "SET LOCAL ivfflat.probes = \(Self.probes(ef: max(ef, wanted)))"))
                }
                var binds = PostgresBindings(capacity: 2)
                binds.append(queryVector)
                binds.append(wanted)
                // One expression for the order and the score, so that each distance is computed once;
                // LATERAL, so that each row's files are looked up by index rather than by a scan of them all.
                let rows = try connection.rows(PostgresQuery(unsafeSQL: """
                    SELECT n.id, n.distance::float8, f.id, f.path FROM (
                        SELECT id, content_hash, embedding <#> $1 AS distance FROM \(table) ORDER BY distance LIMIT $2) n
                    LEFT JOIN LATERAL (SELECT id, path FROM clip_file WHERE content_hash = n.content_hash) f ON true
                    ORDER BY n.distance, n.id, f.path
                    """, binds: binds))
                var hits: [ImageIndex.Hit] = []
                var rowsFound = Set<Int64>()
                for row in rows {
                    let (vectorID, distance, fileID, path) = try row.decode((Int64, Double, Int64?, String?).self)
                    let score = Float(-distance)
                    guard score >= threshold else { break }
                    rowsFound.insert(vectorID)
                    if let fileID, let path, hits.count < top {
                        hits.append(ImageIndex.Hit(path: path, score: score, id: fileID, row: Int(vectorID)))
                    }
                }
                return (hits, rowsFound.count)
            }
            // pgvector's HNSW scan returns at most ef_search rows: fewer rows than wanted ends it too.
            if hits.count >= top || rowsFound < wanted { return hits }
            wanted *= 4
        }
    }

    public func vectors(rows: [Int], in model: IndexModel) throws -> [[Float]] {
        guard !rows.isEmpty else { return [] }
        let found: [Int64: [Float]] = try pool.withConnection("reading vectors") { connection in
            var found: [Int64: [Float]] = [:]
            let ids = rows.map(Int64.init)
            for row in try connection.rows("SELECT id, embedding FROM \(unescaped: Self.vectorTable(model)) WHERE id = ANY(\(ids))") {
                let cells = PostgresRandomAccessRow(row)
                found[try cells[0].decode(Int64.self)] = try PGVectorBinary.decode(cells[1].bytes, width: model.width, location: location)
            }
            return found
        }
        return try rows.map { row in
            guard let vector = found[Int64(row)] else { throw SearchError.invalidQuery("the index holds no vector \(row) of \(model.reference)") }
            return vector
        }
    }

    public func row(model: IndexModel, contentHash: String) throws -> Int? {
        try pool.withConnection("reading a vector's id") { connection in
            try connection.rows("SELECT id FROM \(unescaped: Self.vectorTable(model)) WHERE content_hash = \(contentHash)").first
                .map { Int(try $0.decode(Int64.self)) }
        }
    }

    public func withLiveVectors<T>(_ model: IndexModel, _ body: (VectorMatrix, [Int: [IndexFile]]) throws -> T) throws -> T {
        let matrix = try VectorMatrix.temporary(width: model.width)
        var filesByRow: [Int: [IndexFile]] = [:]
        var rowOfVector: [Int64: Int] = [:]
        var pending: [[Float]] = []
        try pool.withConnection("reading the vectors for duplicates") { connection in
            let rows = try connection.rows("""
                SELECT v.id, v.embedding, \(unescaped: Self.fileColumns) FROM \(unescaped: Self.vectorTable(model)) v
                JOIN clip_file f ON f.content_hash = v.content_hash ORDER BY v.id, f.path
                """)
            for row in rows {
                let cells = PostgresRandomAccessRow(row)
                let id = try cells[0].decode(Int64.self)
                if rowOfVector[id] == nil {
                    rowOfVector[id] = rowOfVector.count
                    pending.append(try PGVectorBinary.decode(cells[1].bytes, width: model.width, location: location))
                }
                filesByRow[rowOfVector[id]!, default: []].append(try Self.file(row, from: 2))
            }
        }
        try matrix.append(pending)
        return try body(matrix, filesByRow)
    }
}
