import Foundation

/// Locates test data: committed fixtures beside the tests, and the shared reference data named by
/// `CLIP_REFERENCE_DATA`.
public enum ReferenceData {
    /// Errors that make a test fail rather than skip.
    public enum Failure: Error, CustomStringConvertible {
        case missingFile(String)
        public var description: String {
            switch self {
            case let .missingFile(path): return "CLIP_REFERENCE_DATA is set but \(path) does not exist"
            }
        }
    }

    /// The shared reference directory, or nil (with a printed notice) when `CLIP_REFERENCE_DATA` is
    /// not set, so that tests needing it are skipped visibly rather than silently.
    public static func sharedDirectory(neededBy test: String) -> URL? {
        guard let path = ProcessInfo.processInfo.environment["CLIP_REFERENCE_DATA"], !path.isEmpty else {
            print("notice: skipping '\(test)': CLIP_REFERENCE_DATA is not set")
            return nil
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// A file inside the shared reference directory. Throws when the variable is set but the file is
    /// missing; returns nil (with a notice) when the variable is not set.
    public static func sharedFile(_ relativePath: String, neededBy test: String) throws -> URL? {
        guard let directory = sharedDirectory(neededBy: test) else { return nil }
        let url = directory.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure.missingFile(url.path) }
        return url
    }

    /// The `Fixtures` folder beside the calling test file.
    public static func fixturesDirectory(testFile: StaticString = #filePath) -> URL {
        URL(fileURLWithPath: "\(testFile)").deletingLastPathComponent().appendingPathComponent("Fixtures", isDirectory: true)
    }
}
