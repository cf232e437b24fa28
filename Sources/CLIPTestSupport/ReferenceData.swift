import Foundation
import Testing

/// Locates test data: committed fixtures beside the tests, and the shared reference data named by
/// `CLIP_REFERENCE_DATA`.
public enum ReferenceData {
    /// Errors that make a test fail rather than skip.
    public enum Failure: Error, CustomStringConvertible {
        case notConfigured
        case missingFile(String)

        public var description: String {
            switch self {
            case .notConfigured: return "CLIP_REFERENCE_DATA is not set (mark the test .needsReferenceData)"
            case let .missingFile(path): return "CLIP_REFERENCE_DATA is set but \(path) does not exist"
            }
        }
    }

    /// The shared reference directory named by `CLIP_REFERENCE_DATA`, or nil when it is not set.
    public static var sharedDirectory: URL? {
        guard let path = ProcessInfo.processInfo.environment["CLIP_REFERENCE_DATA"], !path.isEmpty else { return nil }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// A file inside the shared reference directory. Throws when the variable is set but the file is
    /// missing (a failure, not a skip); tests that call this carry the `.needsReferenceData` trait.
    public static func sharedFile(_ relativePath: String) throws -> URL {
        guard let directory = sharedDirectory else { throw Failure.notConfigured }
        let url = directory.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure.missingFile(url.path) }
        return url
    }

    /// The `Fixtures` folder beside the calling test file.
    public static func fixturesDirectory(testFile: StaticString = #filePath) -> URL {
        URL(fileURLWithPath: "\(testFile)").deletingLastPathComponent().appendingPathComponent("Fixtures", isDirectory: true)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when `CLIP_REFERENCE_DATA` is set; otherwise it is reported as skipped.
    public static var needsReferenceData: Self {
        .enabled(if: ReferenceData.sharedDirectory != nil, "needs the shared reference data: set CLIP_REFERENCE_DATA")
    }
}

extension ReferenceData {
    /// An input a fuzz target once crashed on, kept in `Fuzz/regressions/<target>/<name>`.
    public static func fuzzRegression(_ target: String, _ name: String, testFile: StaticString = #filePath) throws -> Data {
        let root = URL(fileURLWithPath: "\(testFile)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try Data(contentsOf: root.appendingPathComponent("Fuzz/regressions/\(target)/\(name)"))
    }
}
