import Foundation
import PostgresNIO

extension PostgresIndexStore {
    /// A pgvector index of a model's vectors.
    enum ANNIndex: Equatable {
        case hnsw
        case ivfflat(lists: Int)
    }

    /// The name of `model`'s ANN index.
    static func annIndexName(_ model: IndexModel) -> String {
        "\(vectorTable(model))_ann"
    }

    /// The ANN index `model`'s vectors have, if any.
    func annIndex(_ model: IndexModel) throws -> ANNIndex? {
        try pool.withConnection("reading the vector index") { connection in
            let rows = try connection.rows("""
                SELECT am.amname::text, array_to_string(c.reloptions, ',') FROM pg_class c
                JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relname = \(Self.annIndexName(model)) AND n.nspname = \(postgresLocation.schema)
                """)
            guard let row = rows.first else { return nil }
            let (method, options) = try row.decode((String, String?).self)
            guard method == "ivfflat" else { return .hnsw }
            let lists = options?.split(separator: ",").first { $0.hasPrefix("lists=") }.flatMap { Int($0.dropFirst(6)) } ?? 100
            return .ivfflat(lists: lists)
        }
    }

    public func hasANNIndex(_ model: IndexModel) throws -> Bool {
        try annIndex(model) != nil
    }

    /// The memory an index build of `rows` vectors of `width` may use (`maintenance_work_mem`, in
    /// MiB): pgvector builds an HNSW graph many times faster when the whole graph fits — each
    /// node's vector, 2m level-0 links and its tuple's overhead — so the estimate, from 64 MiB up
    /// to 8 GiB.
    static func buildMemoryMiB(rows: Int, width: Int, m: Int) -> Int {
        let bytes = Double(rows) * Double(width * 4 + 2 * m * 8 + 128) * 1.25
        return min(8_192, max(64, Int((bytes / 1_048_576).rounded(.up))))
    }

    /// IVFFlat's lists for `rows` vectors, as pgvector advises: rows / 1000 up to a million rows,
    /// their square root beyond.
    static func defaultLists(rows: Int) -> Int {
        rows <= 1_000_000 ? max(1, rows / 1_000) : Int(Double(rows).squareRoot())
    }

    /// Creates, keeps or drops `model`'s ANN index as `options.graph` says; returns whether it has one.
    func updateANNIndex(_ model: IndexModel, options: ImageIndex.UpdateOptions) throws -> Bool {
        let existing = try annIndex(model)
        let rows: Int = try pool.withConnection("counting vectors") { connection in
            try connection.rows("SELECT count(*)::int8 FROM \(unescaped: Self.vectorTable(model))")[0].decode(Int.self)
        }
        let wanted: ANNIndex?
        switch options.graph {
        case .none: wanted = nil
        case .hnsw: wanted = .hnsw
        case .ivfflat: wanted = .ivfflat(lists: options.lists ?? Self.defaultLists(rows: rows))
        case .auto: wanted = existing ?? (rows >= ImageIndex.automaticGraphRows ? .hnsw : nil)
        }
        let keep: Bool
        switch (existing, wanted) {
        case (.hnsw?, .hnsw?): keep = true
        case (.ivfflat?, .ivfflat?): keep = options.graph == .auto || options.lists == nil || existing == wanted
        default: keep = existing == wanted
        }
        if keep { return existing != nil }
        try pool.transaction("building the vector index") { connection in
            try connection.execute(PostgresSchema.lockKey(postgresLocation.schema))
            try connection.execute(PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(Self.annIndexName(model))"))
            guard let wanted else { return }
            let memory = Self.buildMemoryMiB(rows: rows, width: model.width, m: options.hnsw.m)
            try connection.execute(PostgresQuery(unsafeSQL: "SET LOCAL maintenance_work_mem = '\(memory)MB'"))
            let method: String
            switch wanted {
            case .hnsw: method = "hnsw (embedding vector_ip_ops) WITH (m = \(options.hnsw.m), ef_construction = \(options.hnsw.efConstruction))"
            case let .ivfflat(lists): method = "ivfflat (embedding vector_ip_ops) WITH (lists = \(lists))"
            }
            try connection.execute(PostgresQuery(unsafeSQL: "CREATE INDEX \(Self.annIndexName(model)) ON \(Self.vectorTable(model)) USING \(method)"))
        }
        return wanted != nil
    }
}
