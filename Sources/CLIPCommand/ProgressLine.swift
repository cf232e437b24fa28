import Foundation

/// A count-based progress line on standard error, redrawn in place on a terminal at most ten
/// times a second; silent when standard error is not a terminal.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = Date.distantPast
    private var started: [String: Date] = [:]
    private var drawn = false

    /// Shows `done` of `total` for the stage named `label` ("images", "classes", …).
    func update(_ label: String, _ done: Int, _ total: Int) {
        guard isTerminal else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let start = started[label] ?? now
        started[label] = start
        guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 24, filled = Int(fraction * Double(width))
        let elapsed = now.timeIntervalSince(start)
        var line = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(done)/\(total)"
        if elapsed > 0.5, done > 0 { line += String(format: "  %.1f/s", Double(done) / elapsed) }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (done >= total ? "\n" : "")).utf8))
        drawn = done < total
    }

    /// Ends an unfinished line so that later output starts on its own line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}
