import CLIPImage
import Foundation
import GRDB

/// The SQLite catalogue of an index (through GRDB, in WAL mode so that searches read while an update
/// writes): the files seen, with size, modification time and content hash, or the reason they could
/// not be used; the models whose vectors the index holds; and which row of a model's vector file
/// holds each content's features. Files with the same bytes share one content, so a moved or copied
/// file reuses its vector.
public final class IndexCatalogue: @unchecked Sendable {
    /// The catalogue's schema version, kept in SQLite's `user_version`.
    public static let schemaVersion = 3

    /// The database file.
    public let path: String
    private let pool: DatabasePool

    /// Opens the catalogue at `path`, creating it (and its folder's file) if needed.
    public init(path: String) throws {
        self.path = path
        do {
            pool = try DatabasePool(path: path)
            let version = try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
            guard version <= Self.schemaVersion else {
                throw SearchError.catalogue(path: path, reason: "schema version \(version) is newer than this swift-clip's (\(Self.schemaVersion)); use a newer swift-clip")
            }
            try Self.migrator.migrate(pool)
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE model (
                    id INTEGER PRIMARY KEY,
                    reference TEXT NOT NULL,
                    fingerprint TEXT NOT NULL UNIQUE,
                    width INTEGER NOT NULL,
                    element TEXT NOT NULL,
                    generation INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE file (
                    path TEXT PRIMARY KEY,
                    size INTEGER NOT NULL,
                    modified REAL NOT NULL,
                    content_hash TEXT,
                    failure TEXT,
                    pixel_width INTEGER,
                    pixel_height INTEGER);
                CREATE INDEX file_content ON file(content_hash);
                CREATE TABLE vector (
                    model_id INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE,
                    content_hash TEXT NOT NULL,
                    row INTEGER NOT NULL,
                    PRIMARY KEY (model_id, content_hash));
                CREATE UNIQUE INDEX vector_row ON vector(model_id, row);
                PRAGMA user_version = 1;
                """)
        }
        // Model fingerprints by where the weights came from (ModelFingerprint.sourceKey), so that
        // opening the same weights again does not read them all to compute the fingerprint.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE model_source (
                    source_key TEXT PRIMARY KEY,
                    fingerprint TEXT NOT NULL);
                PRAGMA user_version = 2;
                """)
        }
        // Files get ids that outlive updates and are never reused (the server names files by id),
        // and the folders given to updates are kept (the server shows paths relative to them).
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE file_v3 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL UNIQUE,
                    size INTEGER NOT NULL,
                    modified REAL NOT NULL,
                    content_hash TEXT,
                    failure TEXT,
                    pixel_width INTEGER,
                    pixel_height INTEGER);
                INSERT INTO file_v3 (path, size, modified, content_hash, failure, pixel_width, pixel_height)
                    SELECT path, size, modified, content_hash, failure, pixel_width, pixel_height FROM file ORDER BY path;
                DROP TABLE file;
                ALTER TABLE file_v3 RENAME TO file;
                CREATE INDEX file_content ON file(content_hash);
                CREATE TABLE root (path TEXT PRIMARY KEY);
                PRAGMA user_version = 3;
                """)
        }
        return migrator
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch {
            throw Self.describe(error, path: path)
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch {
            throw Self.describe(error, path: path)
        }
    }

    /// SQLite's and GRDB's errors (a damaged or foreign file, a value of the wrong type) in words.
    private static func describe(_ error: any Error, path: String) -> SearchError {
        switch error {
        case let error as SearchError: return error
        case let error as DatabaseError: return .catalogue(path: path, reason: error.message ?? "\(error.resultCode)")
        default: return .catalogue(path: path, reason: "unexpected contents: \(error)")
        }
    }

    // MARK: - Models

    /// The model with this fingerprint, adding it (its vectors stored as `element`) if the index does
    /// not hold it yet; a model already held keeps its element type. A fingerprint held with another
    /// width is refused.
    public func model(reference: String, fingerprint: String, width: Int, element: VectorElement) throws -> IndexModel {
        try write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM model WHERE fingerprint = ?", arguments: [fingerprint]) {
                let model = try Self.model(row, path: path)
                guard model.width == width else {
                    throw SearchError.catalogue(path: path, reason: "model \(fingerprint) is indexed with width \(model.width), not \(width)")
                }
                return model
            }
            try db.execute(sql: "INSERT INTO model (reference, fingerprint, width, element) VALUES (?, ?, ?, ?)",
                           arguments: [reference, fingerprint, width, element.rawValue])
            return IndexModel(id: db.lastInsertedRowID, reference: reference, fingerprint: fingerprint, width: width, element: element,
                         generation: 0)
        }
    }

    /// The models the index holds, oldest first.
    public func models() throws -> [IndexModel] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM model ORDER BY id").map { try Self.model($0, path: path) } }
    }

    private static func model(_ row: Row, path: String) throws -> IndexModel {
        let elementName: String = try row.decode(forColumn: "element")
        guard let element = VectorElement(rawValue: elementName) else {
            throw SearchError.catalogue(path: path, reason: "a model has the unknown element type '\(elementName)'")
        }
        return IndexModel(id: try row.decode(forColumn: "id"), reference: try row.decode(forColumn: "reference"),
                     fingerprint: try row.decode(forColumn: "fingerprint"), width: try row.decode(forColumn: "width"), element: element,
                     generation: try row.decode(forColumn: "generation"))
    }

    // MARK: - Files

    /// The record of `path`, if the index has seen it.
    public func file(_ path: String) throws -> IndexFile? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM file WHERE path = ?", arguments: [path]).map { try Self.file($0) } }
    }

    /// The record with this id, if the index holds it.
    public func file(id: Int64) throws -> IndexFile? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM file WHERE id = ?", arguments: [id]).map { try Self.file($0) } }
    }

    /// The folders updates were given, by path.
    public func roots() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT path FROM root ORDER BY path") }
    }

    /// Keeps `paths` among the folders updates were given.
    public func recordRoots(_ paths: [String]) throws {
        try write { db in
            for path in paths { try db.execute(sql: "INSERT OR IGNORE INTO root (path) VALUES (?)", arguments: [path]) }
        }
    }

    /// How many files the index holds, and how many of them could not be indexed.
    public func fileCounts() throws -> (files: Int, failed: Int) {
        try read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM file") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM file WHERE failure IS NOT NULL") ?? 0)
        }
    }

    /// Every file below `folder` (every file when nil), by path.
    public func files(under folder: String? = nil) throws -> [IndexFile] {
        try read { db in
            guard let folder else { return try Row.fetchAll(db, sql: "SELECT * FROM file ORDER BY path").map { try Self.file($0) } }
            let prefix = folderPrefix(folder)
            return try Row.fetchAll(db, sql: "SELECT * FROM file WHERE substr(path, 1, ?) = ? ORDER BY path",
                                    arguments: [prefix.unicodeScalars.count, prefix]).map { try Self.file($0) }
        }
    }

    private static func file(_ row: Row) throws -> IndexFile {
        let width: Int? = try row.decode(forColumn: "pixel_width"), height: Int? = try row.decode(forColumn: "pixel_height")
        return IndexFile(id: try row.decode(forColumn: "id"), path: try row.decode(forColumn: "path"), size: try row.decode(forColumn: "size"), modified: try row.decode(forColumn: "modified"),
                    contentHash: try row.decode(forColumn: "content_hash"), failure: try row.decode(forColumn: "failure"),
                    pixelSize: width.flatMap { width in height.map { PixelSize(width: width, height: $0) } })
    }

    /// The files that could not be indexed, with their reasons, by path.
    public func failures() throws -> [IndexFile] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM file WHERE failure IS NOT NULL ORDER BY path").map { try Self.file($0) } }
    }

    /// Records `files` as seen (replacing earlier records of the same paths) in one transaction.
    public func record(_ files: [IndexFile]) throws {
        try write { db in try Self.upsert(files, db) }
    }

    /// Inserts or replaces `files`; one without a pixel size takes that of another file with the same content.
    private static func upsert(_ files: [IndexFile], _ db: Database) throws {
        for file in files {
            try db.execute(sql: """
                INSERT INTO file (path, size, modified, content_hash, failure, pixel_width, pixel_height) VALUES (?, ?, ?, ?, ?,
                    COALESCE(?, (SELECT pixel_width FROM file WHERE content_hash = ?4 AND pixel_width IS NOT NULL LIMIT 1)),
                    COALESCE(?, (SELECT pixel_height FROM file WHERE content_hash = ?4 AND pixel_height IS NOT NULL LIMIT 1)))
                ON CONFLICT(path) DO UPDATE SET size = excluded.size, modified = excluded.modified,
                    content_hash = excluded.content_hash, failure = excluded.failure,
                    pixel_width = excluded.pixel_width, pixel_height = excluded.pixel_height
                """, arguments: [file.path, file.size, file.modified, file.contentHash, file.failure,
                                 file.pixelSize?.width, file.pixelSize?.height])
        }
    }

    private static func insertVectors(_ model: IndexModel, _ rows: [(contentHash: String, row: Int)], _ db: Database) throws {
        for (hash, row) in rows {
            try db.execute(sql: "INSERT OR REPLACE INTO vector (model_id, content_hash, row) VALUES (?, ?, ?)",
                           arguments: [model.id, hash, row])
        }
    }

    /// Forgets `paths` (files that are gone). Their vectors stay until no file has their content
    /// and the index is compacted.
    public func remove(_ paths: [String]) throws {
        try write { db in
            for path in paths { try db.execute(sql: "DELETE FROM file WHERE path = ?", arguments: [path]) }
        }
    }

    // MARK: - Vectors

    /// The row of `model`'s vector file holding the features of the content with this hash.
    public func row(model: IndexModel, contentHash: String) throws -> Int? {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT row FROM vector WHERE model_id = ? AND content_hash = ?", arguments: [model.id, contentHash])
        }
    }

    /// The content hashes that have a vector of `model`, read at once (an update consults it for
    /// every file).
    public func contentHashes(model: IndexModel) throws -> Set<String> {
        try read { db in Set(try String.fetchAll(db, sql: "SELECT content_hash FROM vector WHERE model_id = ?", arguments: [model.id])) }
    }

    /// Records that `rows` of `model`'s vector file hold these contents' features. Call only once
    /// the rows are on disk: the catalogue must never refer to a row that a crash could lose.
    public func recordVectors(model: IndexModel, _ rows: [(contentHash: String, row: Int)]) throws {
        try write { db in try Self.insertVectors(model, rows, db) }
    }

    /// One update's changes in one transaction: `vectors` (rows already on disk) recorded, `files`
    /// recorded, `removing` forgotten. A crash leaves all of it or none.
    public func commit(model: IndexModel, vectors: [(contentHash: String, row: Int)], files: [IndexFile], removing: [String]) throws {
        try write { db in
            try Self.insertVectors(model, vectors, db)
            try Self.upsert(files, db)
            for path in removing { try db.execute(sql: "DELETE FROM file WHERE path = ?", arguments: [path]) }
        }
    }

    /// One more than the highest row of `model` the catalogue refers to: rows past it in the vector
    /// file were written by an update that did not commit, and are dropped.
    public func referencedRowCount(model: IndexModel) throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT MAX(row) + 1 FROM vector WHERE model_id = ?", arguments: [model.id]) ?? 0 }
    }

    /// The files whose content has a vector of `model`, by row: several files share a row when
    /// their bytes are the same. Only files below `folder`, when given.
    public func paths(model: IndexModel, under folder: String? = nil) throws -> [Int: [IndexFileReference]] {
        try read { db in
            var sql = "SELECT vector.row, file.path, file.id FROM vector JOIN file ON file.content_hash = vector.content_hash WHERE vector.model_id = ?"
            var arguments: StatementArguments = [model.id]
            if let folder {
                let prefix = folderPrefix(folder)
                sql += " AND substr(file.path, 1, ?) = ?"
                arguments += [prefix.unicodeScalars.count, prefix]
            }
            var paths: [Int: [IndexFileReference]] = [:]
            for row in try Row.fetchAll(db, sql: sql + " ORDER BY file.path", arguments: arguments) {
                paths[try row.decode(atIndex: 0), default: []].append(IndexFileReference(id: try row.decode(atIndex: 2), path: try row.decode(atIndex: 1)))
            }
            return paths
        }
    }

    /// The files whose content is in `rows` of `model`'s vector file, by row, in path order; only
    /// files below `folder`, when given.
    public func paths(model: IndexModel, rows: [Int], under folder: String? = nil) throws -> [Int: [IndexFileReference]] {
        guard !rows.isEmpty else { return [:] }
        return try read { db in
            var paths: [Int: [IndexFileReference]] = [:]
            // SQLite's limit on bound parameters is 32,766; a query asks for far fewer rows.
            for chunk in stride(from: 0, to: rows.count, by: 10_000) {
                let part = rows[chunk..<min(chunk + 10_000, rows.count)]
                var sql = """
                    SELECT vector.row, file.path, file.id FROM vector JOIN file ON file.content_hash = vector.content_hash
                    WHERE vector.model_id = ? AND vector.row IN (\(part.map { _ in "?" }.joined(separator: ",")))
                    """
                var arguments: StatementArguments = [model.id]
                for row in part { arguments += [row] }
                if let folder {
                    let prefix = folderPrefix(folder)
                    sql += " AND substr(file.path, 1, ?) = ?"
                    arguments += [prefix.unicodeScalars.count, prefix]
                }
                for row in try Row.fetchAll(db, sql: sql + " ORDER BY file.path", arguments: arguments) {
                    paths[try row.decode(atIndex: 0), default: []].append(IndexFileReference(id: try row.decode(atIndex: 2), path: try row.decode(atIndex: 1)))
                }
            }
            return paths
        }
    }

    /// The model with this fingerprint as the catalogue holds it now, or nil.
    public func model(fingerprint: String) throws -> IndexModel? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM model WHERE fingerprint = ?", arguments: [fingerprint]).map { try Self.model($0, path: path) }
        }
    }

    /// The files of each row of `model` that some file still uses, by row, each row's files in path order.
    public func filesByRow(model: IndexModel) throws -> [Int: [IndexFile]] {
        try read { db in
            var files: [Int: [IndexFile]] = [:]
            let sql = "SELECT vector.row AS vector_row, file.* FROM vector JOIN file ON file.content_hash = vector.content_hash WHERE vector.model_id = ? ORDER BY file.path"
            for row in try Row.fetchAll(db, sql: sql, arguments: [model.id]) {
                files[try row.decode(forColumn: "vector_row"), default: []].append(try Self.file(row))
            }
            return files
        }
    }

    /// How many rows `model`'s vector file holds for the catalogue (`total`) and how many of them some
    /// file still uses (`live`); the rest is what compaction reclaims.
    public func rowUsage(model: IndexModel) throws -> (live: Int, total: Int) {
        try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT MAX(row) + 1 FROM vector WHERE model_id = ?", arguments: [model.id]) ?? 0
            let live = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM vector WHERE model_id = ? AND EXISTS (SELECT 1 FROM file WHERE file.content_hash = vector.content_hash)
                """, arguments: [model.id]) ?? 0
            return (live, total)
        }
    }

    /// The rows of `model` some file still uses, in row order, with their content.
    public func liveRows(model: IndexModel) throws -> [(row: Int, contentHash: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT row, content_hash FROM vector WHERE model_id = ?
                    AND EXISTS (SELECT 1 FROM file WHERE file.content_hash = vector.content_hash) ORDER BY row
                """, arguments: [model.id]).map { (try $0.decode(atIndex: 0), try $0.decode(atIndex: 1)) }
        }
    }

    /// After compaction wrote `model`'s next vector file: its rows are `rows` (content → new row), the
    /// other contents lose their vectors, and the model moves to the next generation, in one transaction.
    public func commitCompaction(model: IndexModel, rows: [(contentHash: String, row: Int)]) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM vector WHERE model_id = ?", arguments: [model.id])
            try Self.insertVectors(model, rows, db)
            try db.execute(sql: "UPDATE model SET generation = ? WHERE id = ?", arguments: [model.generation + 1, model.id])
        }
    }

    /// Forgets the vectors of `model` from row `count` on (a vector file found shorter than the
    /// catalogue says): their files are encoded again by the next update.
    public func forgetRows(model: IndexModel, from count: Int) throws {
        try write { db in try db.execute(sql: "DELETE FROM vector WHERE model_id = ? AND row >= ?", arguments: [model.id, count]) }
    }

    /// Forgets `path` and every file below it; returns how many files that was.
    public func remove(under path: String) throws -> Int {
        try write { db in
            let prefix = folderPrefix(path)
            try db.execute(sql: "DELETE FROM file WHERE path = ? OR substr(path, 1, ?) = ?", arguments: [path, prefix.unicodeScalars.count, prefix])
            return db.changesCount
        }
    }

    /// The fingerprint computed before for weights with this source key.
    public func fingerprint(sourceKey: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT fingerprint FROM model_source WHERE source_key = ?", arguments: [sourceKey]) }
    }

    /// Keeps `fingerprint` for weights with this source key.
    public func remember(sourceKey: String, fingerprint: String) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO model_source (source_key, fingerprint) VALUES (?, ?)", arguments: [sourceKey, fingerprint])
        }
    }

    /// SQLite's journal mode ("wal").
    public func journalMode() throws -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}
