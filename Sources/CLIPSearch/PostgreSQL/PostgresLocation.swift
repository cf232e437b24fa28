import Foundation
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store lives, from a libpq-style URL:
/// `postgresql://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-full][&schema=name]`
/// (`postgres://` too; port 5432 and `sslmode=prefer` by default, as libpq; the tables go in schema
/// `public` unless `schema` names another, so that one database can hold several indexes). The
/// password is kept for connecting but never shown: `description` and every error leave it out.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// Whether the connection uses TLS, as libpq's `sslmode`.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, its certificate not checked (as libpq).
        case prefer
        /// TLS or no connection, the certificate not checked (as libpq).
        case require
        /// TLS with the server's certificate checked against the system's roots and its host name.
        case verifyFull = "verify-full"
    }

    /// The server's host name or address.
    public let host: String
    /// The server's port.
    public let port: Int
    /// The user to connect as.
    public let user: String
    /// The user's password, for password authentication.
    public let password: String?
    /// The database.
    public let database: String
    /// Whether to use TLS.
    public let tls: TLSMode
    /// The schema holding the index's tables.
    public let schema: String

    /// Whether `text` is a `postgresql://` (or `postgres://`) URL rather than a folder.
    public static func isPostgresURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgresql://") || lowered.hasPrefix("postgres://")
    }

    /// Parses `url`; throws `SearchError.invalidStore` naming what is wrong (never the password).
    public init(_ url: String) throws {
        func invalid(_ reason: String) -> SearchError {
            .invalidStore(location: Self.redacted(url), reason: reason)
        }
        guard let components = URLComponents(string: url) else { throw invalid("not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgresql" || scheme == "postgres" else {
            throw invalid("a PostgreSQL store is a postgresql:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("no user (postgresql://USER@host/database)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database (postgresql://user@host/DATABASE)") }
        if let port = components.port, !(1...65535).contains(port) { throw invalid("port \(port) is out of range") }
        var tls = TLSMode.prefer
        var schema = "public"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw invalid("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "schema":
                guard let name = item.value, Self.isPlainIdentifier(name) else {
                    throw invalid("schema must be 1–40 lowercase letters, digits or underscores, starting with a letter")
                }
                schema = name
            default:
                throw invalid("unknown parameter \(item.name)")
            }
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.password
        self.database = database
        self.tls = tls
        self.schema = schema
    }

    /// A name that needs no quoting in SQL and leaves room for the tables' prefixes.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.unicodeScalars.count <= 40 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The URL without its password.
    public var description: String {
        var parameters: [String] = []
        if tls != .prefer { parameters.append("sslmode=\(tls.rawValue)") }
        if schema != "public" { parameters.append("schema=\(schema)") }
        return "postgresql://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
            + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
    }

    /// postgres-nio's settings for one connection to this location.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let settings: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: settings = .disable
        case .prefer: settings = .prefer(try NIOSSLContext(configuration: Self.unverified))
        case .require: settings = .require(try NIOSSLContext(configuration: Self.unverified))
        case .verifyFull: settings = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: settings)
    }

    /// Encryption without checking who answers: libpq's `prefer` and `require`.
    private static var unverified: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    /// `url` with anything between `://` and `@` after a `:` (the password) replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard let start = url.range(of: "://"), let at = url[start.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[start.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
