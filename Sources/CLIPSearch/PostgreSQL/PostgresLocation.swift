import Foundation
import PostgresNIO

/// Where a PostgreSQL store lives, from a libpq-style URL:
/// `postgresql://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` (`postgres://`
/// too; port 5432 and `sslmode=prefer` by default, as libpq). The password is kept for connecting but
/// never shown: `description` and every error leave it out.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// Whether the connection uses TLS, as libpq's `sslmode`.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection.
        case require
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
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw invalid("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
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
    }

    /// The URL without its password.
    public var description: String {
        "postgresql://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// postgres-nio's settings for a pool of connections to this location.
    var clientConfiguration: PostgresClient.Configuration {
        let settings: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: settings = .disable
        case .prefer: settings = .prefer(.makeClientConfiguration())
        case .require: settings = .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: settings)
    }

    /// `url` with anything between `://` and `@` after a `:` (the password) replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard let start = url.range(of: "://"), let at = url[start.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[start.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
