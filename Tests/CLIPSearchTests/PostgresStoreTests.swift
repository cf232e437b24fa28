@testable import CLIPSearch
import Foundation
import Testing

/// The PostgreSQL store's location and connection, against a real PostgreSQL 16 with pgvector that
/// `make test` starts (`Scripts/with_postgres.sh`, PyPI's pgserver) and names in CLIP_TEST_POSTGRES_URL.
@Suite("PostgreSQL store: location and connection")
struct PostgresStoreTests {
    @Test("a postgresql:// URL gives host, port, user, password, database and TLS mode, with libpq's defaults")
    func parsesLocations() throws {
        let full = try PostgresLocation("postgresql://alice:p%40ss@db.example.org:6543/photos?sslmode=require")
        #expect(full.host == "db.example.org" && full.port == 6543 && full.user == "alice" && full.password == "p@ss")
        #expect(full.database == "photos" && full.tls == .require)
        let plain = try PostgresLocation("postgres://bob@127.0.0.1/clip")
        #expect(plain.port == 5432 && plain.password == nil && plain.tls == .prefer)
        #expect(plain.description == "postgresql://bob@127.0.0.1:5432/clip")
        #expect(!full.description.contains("p@ss") && !full.description.contains("p%40ss"))
    }

    @Test("a location that cannot be used is refused with the reason, and never with its password",
          arguments: [
            ("mysql://alice:hunter2@host/db", "postgresql://"),
            ("postgresql://alice:hunter2@host", "no database"),
            ("postgresql://host/db", "no user"),
            ("postgresql://alice:hunter2@host:70000/db", "out of range"),
            ("postgresql://alice:hunter2@host/db?sslmode=sometimes", "sslmode must be one of"),
            ("postgresql://alice:hunter2@host/db?pool=3", "unknown parameter pool"),
          ])
    func refusesBadLocations(url: String, reason: String) {
        do {
            _ = try PostgresLocation(url)
            Issue.record("\(url) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(reason), "\(message)")
            #expect(!message.contains("hunter2"), "the password shows in: \(message)")
        }
    }

    @Test("the test server has pgvector with HNSW (0.5 or later), installed into the database on first use")
    func pgvectorOnTheServer() throws {
        guard let url = TestStores.postgresURL("version") else { return }
        let version = try PostgresIndexStore(PostgresLocation(url)).pgvectorVersion()
        let parts = version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count >= 2 && (parts[0], parts[1]) >= (0, 5), "pgvector \(version)")
    }

    @Test("a database that does not exist and a port nobody listens on fail clearly, without the password")
    func connectionFailuresAreClear() throws {
        guard let url = TestStores.serverURL else { return }
        let server = try PostgresLocation(url)
        let missing = try PostgresLocation("postgresql://\(server.user):hunter2@\(server.host):\(server.port)/no_such_database?sslmode=disable")
        do {
            _ = try PostgresIndexStore(missing)
            Issue.record("a missing database was opened")
        } catch {
            #expect(error is SearchError && "\(error)".contains("no_such_database"), "\(error)")
            #expect(!"\(error)".contains("hunter2"), "\(error)")
        }
        // prefer (libpq's default) falls back to plain TCP where the server offers no TLS.
        #expect(try PostgresIndexStore(PostgresLocation(url + "?schema=t_prefer")).models().isEmpty)
        // prefer (libpq's default) falls back to plain TCP where the server offers no TLS.
        #expect(try PostgresIndexStore(PostgresLocation(url + "?schema=t_prefer")).models().isEmpty)
        let plain = try PostgresLocation("postgresql://\(server.user)@\(server.host):\(server.port)/\(server.database)?sslmode=require")
        #expect(throws: SearchError.store(location: plain.description, reason: "opening the index tables: the server does not offer TLS, which the location's sslmode requires")) {
            _ = try PostgresIndexStore(plain)
        }
        let closed = try PostgresLocation("postgresql://\(server.user)@127.0.0.1:\(try Self.unusedPort())/clip_test?sslmode=disable")
        let started = Date()
        #expect(throws: SearchError.self) { _ = try PostgresIndexStore(closed) }
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test("the tables carry a schema version; a newer one than this swift-clip knows is refused")
    func schemaVersion() throws {
        guard let url = TestStores.postgresURL("version-check") else { return }
        let store = try PostgresIndexStore(PostgresLocation(url))
        #expect(try store.models().isEmpty)
        try store.execute("UPDATE clip_meta SET value = '99' WHERE key = 'schema_version'")
        do {
            _ = try PostgresIndexStore(PostgresLocation(url))
            Issue.record("a newer schema was opened")
        } catch {
            #expect("\(error)".contains("schema version 99 is newer"), "\(error)")
        }
    }

    /// A loopback port that was free a moment ago.
    static func unusedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(socket, $0, length) == 0, getsockname(socket, $0, &length) == 0 else {
                    throw SearchError.invalidQuery("no free loopback port")
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
