import CLIPImage
import Foundation
import PostgresNIO

/// The index store of many machines: a PostgreSQL database with pgvector, through postgres-nio.
///
/// ```swift
/// let store = try PostgresIndexStore(PostgresLocation("postgresql://clip@db.internal/photos"))
/// let index = ImageIndex(store: store)
/// ```
///
/// Any number of processes on any machines may update and search one store at once: every update
/// step is one transaction, and a content's vector is unique per model, so concurrent writers
/// neither duplicate nor lose rows. Vectors are kept as float32 (pgvector's `vector`); approximate
/// search uses pgvector's HNSW or IVFFlat index with the inner-product operator class.
public final class PostgresIndexStore: IndexStore, @unchecked Sendable {
    /// Where the store is.
    public let postgresLocation: PostgresLocation
    let pool: PostgresConnectionPool
    /// The OID of pgvector's `vector` type in this database.
    let vectorType: PostgresDataType

    /// Connections kept open unless told otherwise: enough for a server's concurrent searches.
    public static let defaultConnections = 8

    /// Connects to `location` (at most `connections` connections at once), installs pgvector if
    /// needed and creates or migrates the tables. A server that cannot be reached, a wrong password
    /// or database, or a server without pgvector fail at once with `SearchError.store`.
    /// Its connections are named `swift-clip SCHEMA` (PostgreSQL's `application_name`).
    public init(_ location: PostgresLocation, connections: Int = PostgresIndexStore.defaultConnections) throws {
        postgresLocation = location
        let schema = location.schema
        pool = PostgresConnectionPool(location: location, capacity: connections) { connection in
            try connection.execute(PostgresQuery(unsafeSQL: "SET search_path TO \(schema), public"))
            try connection.execute(PostgresQuery(unsafeSQL: "SET application_name TO 'swift-clip \(schema)'"))
        }
        vectorType = try pool.withConnection("opening the index tables") { connection in
            try PostgresSchema.migrate(connection, schema: schema, location: location.description)
            let rows = try connection.rows("SELECT 'vector'::regtype::oid::int8")
            return PostgresDataType(UInt32(try rows[0].decode(Int64.self)))
        }
    }

    public var location: String { postgresLocation.description }

    /// pgvector's version in the database.
    public func pgvectorVersion() throws -> String {
        try pool.withConnection("reading pgvector's version") { connection in
            try connection.rows("SELECT extversion FROM pg_extension WHERE extname = 'vector'")[0].decode(String.self)
        }
    }

    /// The table of `model`'s vectors.
    static func vectorTable(_ model: IndexModel) -> String {
        "clip_vectors_\(model.id)"
    }

    // MARK: - Models

    private static func model(_ row: PostgresRow) throws -> IndexModel {
        let (id, reference, fingerprint, width) = try row.decode((Int64, String, String, Int).self)
        return IndexModel(id: id, reference: reference, fingerprint: fingerprint, width: width, element: .float32)
    }

    public func models() throws -> [IndexModel] {
        try pool.withConnection("reading the models") { connection in
            try connection.rows("SELECT id, reference, fingerprint, width FROM clip_model ORDER BY id").map(Self.model)
        }
    }

    public func model(fingerprint: String) throws -> IndexModel? {
        try pool.withConnection("reading a model") { connection in
            try connection.rows("SELECT id, reference, fingerprint, width FROM clip_model WHERE fingerprint = \(fingerprint)").first.map(Self.model)
        }
    }

    /// Adds the model and its vector table in one transaction (under the schema's advisory lock, so
    /// that two indexers registering it at once make one); vectors are float32 whatever `element` says.
    public func model(reference: String, fingerprint: String, width: Int, element: VectorElement) throws -> IndexModel {
        guard (1...PGVectorBinary.maximumDimensions).contains(width) else {
            throw SearchError.invalidStore(location: location, reason: "pgvector holds vectors of 1…\(PGVectorBinary.maximumDimensions) dimensions, not \(width)")
        }
        if let model = try model(fingerprint: fingerprint) { return try checked(model, width: width) }
        return try pool.transaction("adding model \(reference)") { connection in
            try connection.execute(PostgresSchema.lockKey(postgresLocation.schema))
            let existing = try connection.rows("SELECT id, reference, fingerprint, width FROM clip_model WHERE fingerprint = \(fingerprint)")
            if let row = existing.first { return try checked(Self.model(row), width: width) }
            let rows = try connection.rows("""
                INSERT INTO clip_model (reference, fingerprint, width) VALUES (\(reference), \(fingerprint), \(width))
                RETURNING id, reference, fingerprint, width
                """)
            let model = try Self.model(rows[0])
            try connection.execute(PostgresQuery(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS \(Self.vectorTable(model)) (
                    id bigserial PRIMARY KEY,
                    content_hash text NOT NULL UNIQUE,
                    embedding vector(\(width)) NOT NULL)
                """))
            // Kept in the row, not TOASTed: a 512-wide vector (2,052 bytes) would otherwise go to
            // the TOAST table, and every scan and distance would fetch it from there.
            try connection.execute(PostgresQuery(unsafeSQL: "ALTER TABLE \(Self.vectorTable(model)) ALTER COLUMN embedding SET STORAGE PLAIN"))
            return model
        }
    }

    private func checked(_ model: IndexModel, width: Int) throws -> IndexModel {
        guard model.width == width else {
            throw SearchError.store(location: location, reason: "model \(model.fingerprint) is indexed with width \(model.width), not \(width)")
        }
        return model
    }

    public func fingerprint(sourceKey: String) throws -> String? {
        try pool.withConnection("reading a model fingerprint") { connection in
            try connection.rows("SELECT fingerprint FROM clip_model_source WHERE source_key = \(sourceKey)").first?.decode(String.self)
        }
    }

    public func remember(sourceKey: String, fingerprint: String) throws {
        _ = try pool.withConnection("keeping a model fingerprint") { connection in
            try connection.execute("""
                INSERT INTO clip_model_source (source_key, fingerprint) VALUES (\(sourceKey), \(fingerprint))
                ON CONFLICT (source_key) DO UPDATE SET fingerprint = excluded.fingerprint
                """)
        }
    }

    // MARK: - Files

    static let fileColumns = "f.id, f.path, f.size, f.modified, f.content_hash, f.failure, f.pixel_width, f.pixel_height"

    /// A file from the eight `fileColumns` starting at column `offset` of `row`.
    static func file(_ row: PostgresRow, from offset: Int = 0) throws -> IndexFile {
        let cells = PostgresRandomAccessRow(row)
        func cell<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T { try cells[offset + index].decode(T.self) }
        let width = try cell(6, Int?.self), height = try cell(7, Int?.self)
        return IndexFile(id: try cell(0, Int64.self), path: try cell(1, String.self), size: try cell(2, Int.self),
                         modified: try cell(3, Double.self), contentHash: try cell(4, String?.self), failure: try cell(5, String?.self),
                         pixelSize: width.flatMap { width in height.map { PixelSize(width: width, height: $0) } })
    }

    private func files(_ action: String, _ query: PostgresQuery) throws -> [IndexFile] {
        try pool.withConnection(action) { connection in try connection.rows(query).map { try Self.file($0) } }
    }

    public func file(_ path: String) throws -> IndexFile? {
        try files("reading a file", "SELECT \(unescaped: Self.fileColumns) FROM clip_file f WHERE f.path = \(path)").first
    }

    public func file(id: Int64) throws -> IndexFile? {
        try files("reading a file", "SELECT \(unescaped: Self.fileColumns) FROM clip_file f WHERE f.id = \(id)").first
    }

    public func files(under folder: String?) throws -> [IndexFile] {
        guard let folder else { return try files("reading the files", "SELECT \(unescaped: Self.fileColumns) FROM clip_file f ORDER BY f.path") }
        return try files("reading the files", """
            SELECT \(unescaped: Self.fileColumns) FROM clip_file f WHERE f.path LIKE \(Self.likePattern(below: folder)) ORDER BY f.path
            """)
    }

    public func failures() throws -> [IndexFile] {
        try files("reading the failures", "SELECT \(unescaped: Self.fileColumns) FROM clip_file f WHERE f.failure IS NOT NULL ORDER BY f.path")
    }

    public func fileCounts() throws -> (files: Int, failed: Int) {
        try pool.withConnection("counting the files") { connection in
            try connection.rows("SELECT count(*)::int8, count(failure)::int8 FROM clip_file")[0].decode((Int, Int).self)
        }
    }

    public func roots() throws -> [String] {
        try pool.withConnection("reading the indexed folders") { connection in
            try connection.rows("SELECT path FROM clip_root ORDER BY path").map { try $0.decode(String.self) }
        }
    }

    public func recordRoots(_ paths: [String]) throws {
        guard !paths.isEmpty else { return }
        _ = try pool.withConnection("keeping the indexed folders") { connection in
            try connection.execute("INSERT INTO clip_root (path) SELECT unnest(\(paths)::text[]) ON CONFLICT (path) DO NOTHING")
        }
    }

    /// A LIKE pattern (escape character `\`) matching the paths below `folder`.
    static func likePattern(below folder: String) -> String {
        var pattern = ""
        for character in folderPrefix(folder) {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }
}

extension PostgresIndexStore {
    /// Runs `sql` in the store's schema; returns the rows it touched (maintenance and tests).
    @discardableResult
    func execute(_ sql: String) throws -> Int {
        try pool.withConnection("running SQL") { try $0.execute(PostgresQuery(unsafeSQL: sql)) }
    }

    /// The first column of the first row of `sql`, as a 64-bit integer (maintenance and tests).
    func integer(_ sql: String) throws -> Int {
        Int(try pool.withConnection("running SQL") { try $0.rows(PostgresQuery(unsafeSQL: sql))[0].decode(Int64.self) })
    }
}
