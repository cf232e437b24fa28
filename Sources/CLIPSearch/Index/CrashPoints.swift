import Foundation

/// Named moments of an index update at which the crash-consistency tests kill the process: with
/// `CLIP_TEST_KILL_AT=name:N` in its environment, the process sends itself SIGKILL the N-th time it
/// reaches `name` (1-based). Without the variable nothing happens beyond one lookup at start.
///
/// - `read`: a file's bytes were read, before it is decoded;
/// - `encoded`: a batch was encoded, before its vectors are written;
/// - `appended`: vectors are on disk, before the catalogue refers to them;
/// - `committed`: a transaction committed, before the next batch;
/// - `compacting`: compaction wrote the new vector file, before the catalogue switches to it.
enum CrashPoints {
    private static let target: (name: Substring, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["CLIP_TEST_KILL_AT"] else { return nil }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let count = Int(parts[1]), count > 0 else { return nil }
        return (parts[0], count)
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reached = 0

    /// Kills the process if this is the chosen moment.
    static func reach(_ name: String) {
        guard let target, target.name == name else { return }
        let count = lock.withLock {
            reached += 1
            return reached
        }
        if count == target.count { kill(getpid(), SIGKILL) }
    }
}
