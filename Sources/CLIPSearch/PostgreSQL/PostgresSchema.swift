import PostgresNIO

/// The PostgreSQL store's tables, created and migrated by the tool. The version is kept in
/// `clip_meta`; each migration runs in one transaction under an advisory lock, so that indexers
/// starting at once on several machines migrate once and never see half a schema.
///
/// Tables (in the location's schema): `clip_model` (one row per model, by fingerprint),
/// `clip_model_source` (fingerprints by where the weights came from), `clip_file` (files by path,
/// ids never reused), `clip_root` (folders updates were given) and, per model, `clip_vectors_<id>`:
/// one `vector(width)` per content hash, unique, so that writers on other machines adding the same
/// content keep one vector.
enum PostgresSchema {
    /// The schema version this swift-clip writes.
    static let version = 1

    /// The migrations, the one at index i taking version i to version i + 1.
    static let migrations: [String] = [
        """
        CREATE TABLE clip_model (
            id bigserial PRIMARY KEY,
            reference text NOT NULL,
            fingerprint text NOT NULL UNIQUE,
            width integer NOT NULL CHECK (width BETWEEN 1 AND 16000));
        CREATE TABLE clip_model_source (
            source_key text PRIMARY KEY,
            fingerprint text NOT NULL);
        CREATE TABLE clip_file (
            id bigserial PRIMARY KEY,
            path text NOT NULL UNIQUE,
            size bigint NOT NULL,
            modified double precision NOT NULL,
            content_hash text,
            failure text,
            pixel_width integer,
            pixel_height integer);
        CREATE INDEX clip_file_content ON clip_file (content_hash);
        CREATE INDEX clip_file_path_pattern ON clip_file (path text_pattern_ops);
        CREATE TABLE clip_root (path text PRIMARY KEY);
        """,
    ]

    /// The advisory lock of changes to the tables in `schema` (models' tables included).
    static func lockKey(_ schema: String) -> PostgresQuery {
        "SELECT pg_advisory_xact_lock(hashtext(\("swift-clip schema " + schema)))"
    }

    /// The advisory lock of migrations, database-wide: installing pgvector is one per database.
    static let migrationLock: PostgresQuery = "SELECT pg_advisory_xact_lock(hashtext('swift-clip migration'))"

    /// Brings the tables on `connection` (its search path set to the store's schema) to `version`;
    /// a newer schema than this swift-clip knows is refused.
    static func migrate(_ connection: PostgresConnection, schema: String, location: String) throws {
        if try storedVersion(connection) == version { return }
        try connection.execute("BEGIN")
        do {
            try connection.execute(migrationLock)
            try connection.execute("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public")
            try connection.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"))
            try connection.execute("CREATE TABLE IF NOT EXISTS clip_meta (key text PRIMARY KEY, value text NOT NULL)")
            let stored = try storedVersion(connection) ?? 0
            guard stored <= version else {
                throw SearchError.store(location: location, reason: "schema version \(stored) is newer than this swift-clip's (\(version)); use a newer swift-clip")
            }
            for next in stored..<version {
                for statement in migrations[next].split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try connection.execute(PostgresQuery(unsafeSQL: String(statement)))
                }
            }
            try connection.execute("""
                INSERT INTO clip_meta (key, value) VALUES ('schema_version', \(String(version)))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """)
            try connection.execute("COMMIT")
        } catch {
            if !connection.isClosed { try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    /// The version in `clip_meta`, or nil before the first migration.
    private static func storedVersion(_ connection: PostgresConnection) throws -> Int? {
        let exists = try connection.rows("SELECT to_regclass('clip_meta') IS NOT NULL")
        guard try exists.first?.decode(Bool.self) == true else { return nil }
        let rows = try connection.rows("SELECT value FROM clip_meta WHERE key = 'schema_version'")
        return try rows.first.flatMap { Int(try $0.decode(String.self)) }
    }
}
