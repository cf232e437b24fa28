@testable import CLIPSearch
import CLIPTestSupport
import Foundation
import Testing

/// The two index stores, for suites that run against both.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded
    case postgres

    var testDescription: String { rawValue }
}

/// Test stores: an index folder, or a schema of its own in the PostgreSQL server that `make test`
/// starts (`Scripts/with_postgres.sh`) and names in CLIP_TEST_POSTGRES_URL.
enum TestStores {
    /// A new, empty index of `kind`; nil when `kind` is PostgreSQL and no server was started (a
    /// failure where the reference data is set, as in CI, where `make test` always starts one).
    static func index(_ kind: StoreKind, _ name: String) throws -> ImageIndex? {
        switch kind {
        case .embedded: return try ImageIndex(directory: temporaryDirectory("\(name)-store"))
        case .postgres:
            guard let url = postgresURL(name) else { return nil }
            return ImageIndex(store: try PostgresIndexStore(PostgresLocation(url)))
        }
    }

    /// The server's URL, or nil with a notice (a recorded issue in CI) when none was started.
    static var serverURL: String? {
        if let url = ProcessInfo.processInfo.environment["CLIP_TEST_POSTGRES_URL"], !url.isEmpty { return url }
        if ProcessInfo.processInfo.environment["CLIP_REFERENCE_DATA"] != nil {
            Issue.record("CLIP_TEST_POSTGRES_URL is not set: run the tests through `make test`, which starts PostgreSQL with pgvector")
        } else {
            print("notice: CLIP_TEST_POSTGRES_URL is not set; the PostgreSQL store tests did not run (make test starts a server for them)")
        }
        return nil
    }

    /// A URL of the test server with a fresh schema named after `name`.
    static func postgresURL(_ name: String) -> String? {
        guard let url = serverURL else { return nil }
        let cleaned = String(name.lowercased().unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_" }.prefix(24))
        let schema = "t_\(cleaned)_\(UInt32.random(in: 0...UInt32.max))"
        return url + (url.contains("?") ? "&" : "?") + "sslmode=disable&schema=\(schema)"
    }
}
