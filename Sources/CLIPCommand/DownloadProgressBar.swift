import CLIPHub
import Foundation

/// Download progress on standard error: a bar redrawn in place on a terminal (at most ten times a
/// second), one line per finished file otherwise.
final class DownloadProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = Date.distantPast
    private var started: [String: Date] = [:]

    var handler: @Sendable (DownloadProgress) -> Void { { [self] event in update(event) } }

    private func update(_ event: DownloadProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let start = started[event.file] ?? now
        started[event.file] = start
        let elapsed = max(now.timeIntervalSince(start), 1e-3)
        let rate = Double(event.completed - event.resumedFrom) / elapsed
        if event.finished {
            started[event.file] = nil
            let line = "\(event.file): \(Self.bytes(event.completed)) in \(String(format: "%.1f", elapsed)) s (\(Self.bytes(Int64(rate)))/s)"
                + (event.resumedFrom > 0 ? ", resumed at \(Self.bytes(event.resumedFrom))" : "")
            write((isTerminal ? "\r\u{1B}[K" : "") + line + "\n")
            return
        }
        guard isTerminal, now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        var line = "\(event.file) "
        if let total = event.total, total > 0 {
            let fraction = min(Double(event.completed) / Double(total), 1)
            let width = 24
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += String(format: "%3.0f%% ", fraction * 100) + "\(Self.bytes(event.completed))/\(Self.bytes(total))"
            if rate > 0 { line += String(format: " %@/s, %.0f s left", Self.bytes(Int64(rate)), Double(total - event.completed) / rate) }
        } else {
            line += Self.bytes(event.completed)
        }
        write("\r\u{1B}[K" + line)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// 1536 → "1.5 KB" (powers of 1000, as the Hub shows sizes).
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
