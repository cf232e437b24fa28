import Foundation

/// The one progress display of the command line, on standard error. On a terminal: a line redrawn in
/// place at most ten times a second, with a bar, the count, the rate and the time left. Not on a
/// terminal: nothing while work runs, then one summary line per finished stage.
final class ProgressRenderer: @unchecked Sendable {
    /// How counts are shown.
    enum Unit {
        case items
        case bytes
    }

    static let shared = ProgressRenderer(isTerminal: isatty(STDERR_FILENO) == 1)

    private let lock = NSLock()
    private let isTerminal: Bool
    private let write: (String) -> Void
    private var lastDraw = Date.distantPast
    private var started: [String: Date] = [:]
    private var lineOpen = false

    init(isTerminal: Bool, write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Shows `done` of `total` (unknown when nil) for the stage `label`, with an optional `detail`
    /// such as the current loss. Reaching `total` finishes the stage.
    func update(_ label: String, _ done: Int, _ total: Int?, unit: Unit = .items, detail: String? = nil) {
        lock.withLock {
            let now = Date()
            let start = started[label] ?? now
            started[label] = start
            if let total, done >= total {
                finishLocked(label, done: done, unit: unit, detail: detail, now: now)
                return
            }
            guard isTerminal, now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            write("\r\u{1B}[K" + Self.line(label, done, total, unit: unit, detail: detail, elapsed: now.timeIntervalSince(start)))
            lineOpen = true
        }
    }

    /// Ends the stage `label` at `done` (a summary line; on a terminal it replaces the bar).
    func finish(_ label: String, _ done: Int, unit: Unit = .items, detail: String? = nil) {
        lock.withLock { finishLocked(label, done: done, unit: unit, detail: detail, now: Date()) }
    }

    /// Closes a bar being drawn so that a diagnostic starts on its own line.
    func interrupt() {
        lock.withLock {
            if lineOpen { write("\n") }
            lineOpen = false
        }
    }

    /// `update` in the shape of the libraries' `(stage, done, total)` progress callbacks.
    func report(_ label: String, _ done: Int, _ total: Int) {
        update(label, done, total)
    }

    /// A stage reporter for library callbacks that pass `(done, total)`.
    func reporter(_ label: String) -> @Sendable (Int, Int) -> Void {
        { [self] done, total in update(label, done, total) }
    }

    private func finishLocked(_ label: String, done: Int, unit: Unit, detail: String?, now: Date) {
        let start = started.removeValue(forKey: label) ?? now
        let seconds = now.timeIntervalSince(start)
        var line = "\(label): \(Self.amount(done, unit)) in " + String(format: "%.1f s", seconds)
        if seconds > 0, done > 0 { line += " (\(Self.rate(Double(done) / seconds, unit)))" }
        if let detail { line += ", " + detail }
        write((isTerminal ? "\r\u{1B}[K" : "") + line + "\n")
        lineOpen = false
    }

    /// `label [#######.................] 120/400  35.2/s  8 s left  detail`.
    static func line(_ label: String, _ done: Int, _ total: Int?, unit: Unit, detail: String?, elapsed: Double) -> String {
        var line = label
        let rate = elapsed > 0.2 && done > 0 ? Double(done) / elapsed : nil
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let width = 24, filled = Int(fraction * Double(width))
            line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(amount(done, unit))/\(amount(total, unit))"
            if let rate { line += "  \(Self.rate(rate, unit))  " + duration(Double(total - done) / rate) + " left" }
        } else {
            line += " \(amount(done, unit))"
            if let rate { line += "  \(Self.rate(rate, unit))" }
        }
        if let detail { line += "  " + detail }
        return line
    }

    static func amount(_ count: Int, _ unit: Unit) -> String {
        unit == .bytes ? bytes(Int64(count)) : "\(count)"
    }

    static func rate(_ perSecond: Double, _ unit: Unit) -> String {
        unit == .bytes ? bytes(Int64(perSecond)) + "/s" : String(format: "%.1f/s", perSecond)
    }

    /// 75 → "75 s", 3725 → "1 h 2 min".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let whole = Int(seconds.rounded())
        if whole < 120 { return "\(whole) s" }
        if whole < 7200 { return "\(whole / 60) min" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
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
