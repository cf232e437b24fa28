import Foundation

/// Staging files and folders left behind by a process that was killed while writing. A write goes
/// to a hidden staging name carrying the writer's process id (`stagingName(for:)`) and is renamed
/// into place only when complete, so a kill leaves the previous version in place and the staging
/// copy abandoned; `removeAbandoned(in:)` deletes those of writers that are gone.
public enum AbandonedFiles {
    static let marker = ".partial-"

    /// The staging name for a write of `name` by this process: `.<name>.partial-<pid><suffix>`
    /// (`suffix` tells apart several writes of one process).
    public static func stagingName(for name: String, suffix: String = "") -> String {
        ".\(name)\(marker)\(getpid())\(suffix)"
    }

    /// The process id in a staging name, or nil for any other name.
    public static func writer(of name: String) -> Int32? {
        guard name.hasPrefix("."), let range = name.range(of: marker) else { return nil }
        return Int32(name[range.upperBound...].prefix { $0.isNumber })
    }

    /// Removes the staging entries of `directory` whose writer is no longer running. Those of running
    /// processes (another writer at work) are kept.
    public static func removeAbandoned(in directory: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names {
            guard let pid = writer(of: name), !isRunning(pid) else { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// Whether a process with this id exists (it may belong to another user).
    public static func isRunning(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
