import Foundation

/// Staging files and folders left behind by a process that was killed while writing: a write goes
/// to a hidden name carrying the writer's process id and is renamed into place only when complete,
/// so a kill leaves the previous version in place and the staging copy abandoned. These are removed
/// once their writer is gone.
public enum AbandonedFiles {
    /// Removes the entries of `directory` for which `writer` returns the process id of a process
    /// that is no longer running. Entries of running processes (another writer at work) are kept.
    public static func remove(in directory: URL, writer: (String) -> Int32?) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names {
            guard let pid = writer(name), !isRunning(pid) else { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// Whether a process with this id exists (it may belong to another user).
    public static func isRunning(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
