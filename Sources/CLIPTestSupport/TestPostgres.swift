import Foundation
import Testing

/// The PostgreSQL server with pgvector that `make test` starts for the test run
/// (`Scripts/with_postgres.sh`) and names in CLIP_TEST_POSTGRES_URL.
public enum TestPostgres {
    /// The server's URL, or nil with a notice when none was started; where the reference data is
    /// set (as in CI, whose `make test` always starts one) a missing server is a recorded issue.
    public static var serverURL: String? {
        if let url = ProcessInfo.processInfo.environment["CLIP_TEST_POSTGRES_URL"], !url.isEmpty { return url }
        if ProcessInfo.processInfo.environment["CLIP_REFERENCE_DATA"] != nil {
            Issue.record("CLIP_TEST_POSTGRES_URL is not set: run the tests through `make test`, which starts PostgreSQL with pgvector")
        } else {
            print("notice: CLIP_TEST_POSTGRES_URL is not set; the PostgreSQL store tests did not run (make test starts a server for them)")
        }
        return nil
    }

    /// A URL of the test server whose tables go in a new schema named after `name`, so that tests
    /// running at once keep apart; nil as `serverURL`.
    public static func storeURL(_ name: String) -> String? {
        guard let url = serverURL else { return nil }
        let cleaned = String(name.lowercased().unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_" }.prefix(24))
        return url + (url.contains("?") ? "&" : "?") + "sslmode=disable&schema=t_\(cleaned)_\(UInt32.random(in: 0...UInt32.max))"
    }
}
