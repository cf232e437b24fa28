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

/// Test stores: an index folder, or a schema of its own in the PostgreSQL server of `TestPostgres`.
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

    /// A URL of the test server with a fresh schema named after `name`.
    static func postgresURL(_ name: String) -> String? { TestPostgres.storeURL(name) }

    /// The server's URL, or nil.
    static var serverURL: String? { TestPostgres.serverURL }
}
