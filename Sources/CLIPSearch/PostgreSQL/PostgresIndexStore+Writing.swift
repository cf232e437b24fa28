import Foundation
import PostgresNIO

extension PostgresIndexStore {
    /// Writers need no turn: transactions and unique constraints keep concurrent writers apart.
    public func writing<T>(_ body: () throws -> T) throws -> T {
        try body()
    }

    public func prepareForWriting(_ model: IndexModel) throws {}

    public func contentHashes(model: IndexModel) throws -> Set<String> {
        try pool.withConnection("reading the encoded contents") { connection in
            Set(try connection.rows(PostgresQuery(unsafeSQL: "SELECT content_hash FROM \(Self.vectorTable(model))")).map { try $0.decode(String.self) })
        }
    }

    /// Rows per multi-row INSERT: PostgreSQL takes at most 65,535 parameters in a statement.
    static let insertBatchRows = 1_000

    /// One transaction: the vectors inserted (a content another writer added meanwhile keeps its
    /// vector), the files upserted, the removed paths deleted. Each kind goes in sorted order, so
    /// that writers touching the same rows take their locks in one order; a deadlock PostgreSQL
    /// breaks anyway is retried by the pool.
    public func commit(model: IndexModel, vectors: [(contentHash: String, vector: [Float])], files: [IndexFile], removing: [String]) throws {
        let table = Self.vectorTable(model)
        let vectors = vectors.sorted { $0.contentHash < $1.contentHash }
        let files = files.sorted { $0.path < $1.path }
        for vector in vectors where vector.vector.count != model.width {
            throw SearchError.widthMismatch(expected: model.width, actual: vector.vector.count)
        }
        try pool.transaction("storing an update's vectors and files") { connection in
            for start in stride(from: 0, to: vectors.count, by: Self.insertBatchRows) {
                let batch = vectors[start..<min(start + Self.insertBatchRows, vectors.count)]
                var bindings = PostgresBindings(capacity: batch.count * 2)
                var values: [String] = []
                for (offset, vector) in batch.enumerated() {
                    bindings.append(vector.contentHash)
                    bindings.append(PGVectorValue(elements: vector.vector, psqlType: vectorType))
                    values.append("($\(2 * offset + 1), $\(2 * offset + 2))")
                }
                try connection.execute(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(table) (content_hash, embedding) VALUES \(values.joined(separator: ","))
                    ON CONFLICT (content_hash) DO NOTHING
                    """, binds: bindings))
            }
            CrashPoints.reach("appended")
            for start in stride(from: 0, to: files.count, by: Self.insertBatchRows) {
                try Self.upsert(files[start..<min(start + Self.insertBatchRows, files.count)], on: connection)
            }
            if !removing.isEmpty {
                try connection.execute("DELETE FROM clip_file WHERE path = ANY(\(removing.sorted()))")
            }
        }
    }

    /// Inserts or replaces `files`; one without a pixel size takes that of another file with the same content.
    private static func upsert(_ files: ArraySlice<IndexFile>, on connection: PostgresConnection) throws {
        var bindings = PostgresBindings(capacity: files.count * 7)
        var values: [String] = []
        for (offset, file) in files.enumerated() {
            bindings.append(file.path)
            bindings.append(Int64(file.size))
            bindings.append(file.modified)
            bindings.append(file.contentHash)
            bindings.append(file.failure)
            bindings.append(file.pixelSize.map { Int32(clamping: $0.width) })
            bindings.append(file.pixelSize.map { Int32(clamping: $0.height) })
            let first = 7 * offset
            values.append("($\(first + 1)::text, $\(first + 2)::int8, $\(first + 3)::float8, $\(first + 4)::text, $\(first + 5)::text, $\(first + 6)::int4, $\(first + 7)::int4)")
        }
        try connection.execute(PostgresQuery(unsafeSQL: """
            INSERT INTO clip_file (path, size, modified, content_hash, failure, pixel_width, pixel_height)
            SELECT v.path, v.size, v.modified, v.content_hash, v.failure,
                COALESCE(v.pixel_width, (SELECT o.pixel_width FROM clip_file o WHERE o.content_hash = v.content_hash AND o.pixel_width IS NOT NULL LIMIT 1)),
                COALESCE(v.pixel_height, (SELECT o.pixel_height FROM clip_file o WHERE o.content_hash = v.content_hash AND o.pixel_height IS NOT NULL LIMIT 1))
            FROM (VALUES \(values.joined(separator: ","))) AS v (path, size, modified, content_hash, failure, pixel_width, pixel_height)
            ON CONFLICT (path) DO UPDATE SET size = excluded.size, modified = excluded.modified, content_hash = excluded.content_hash,
                failure = excluded.failure, pixel_width = excluded.pixel_width, pixel_height = excluded.pixel_height
            """, binds: bindings))
    }

    public func remove(under path: String) throws -> Int {
        try pool.transaction("removing \(path)") { connection in
            try connection.execute("DELETE FROM clip_file WHERE path = \(path) OR path LIKE \(Self.likePattern(below: path))")
        }
    }

    /// Drops the vectors of every model that no file uses (the embedded store's compaction).
    public func compact() throws -> Int {
        try models().reduce(0) { $0 + (try compact($1)) }
    }

    func compact(_ model: IndexModel) throws -> Int {
        try pool.transaction("dropping unused vectors") { connection in
            try connection.execute(PostgresQuery(unsafeSQL: """
                DELETE FROM \(Self.vectorTable(model)) v WHERE NOT EXISTS (SELECT 1 FROM clip_file f WHERE f.content_hash = v.content_hash)
                """))
        }
    }

    /// (vectors some file uses, all vectors) of `model`.
    func vectorUsage(_ model: IndexModel) throws -> (live: Int, total: Int) {
        try pool.withConnection("counting vectors") { connection in
            try connection.rows(PostgresQuery(unsafeSQL: """
                SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM clip_file f WHERE f.content_hash = v.content_hash))::int8, count(*)::int8
                FROM \(Self.vectorTable(model)) v
                """))[0].decode((Int, Int).self)
        }
    }

    public func finishUpdate(_ model: IndexModel, options: ImageIndex.UpdateOptions) throws -> (reclaimed: Int, graph: Bool) {
        var reclaimed = 0
        if let fraction = options.compactAbove {
            let usage = try vectorUsage(model)
            if usage.total > 0, Double(usage.total - usage.live) > fraction * Double(usage.total) { reclaimed = try compact(model) }
        }
        return (reclaimed, try updateANNIndex(model, options: options))
    }
}
