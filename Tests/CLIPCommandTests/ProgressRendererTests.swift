@testable import CLIPCommand
import Foundation
import Testing

/// Collects what a renderer writes.
final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [String] = []
    var text: String { lock.withLock { parts.joined() } }
    func append(_ part: String) { lock.withLock { parts.append(part) } }
}

@Suite("Progress on standard error")
struct ProgressRendererTests {
    @Test("not on a terminal: nothing while a stage runs, one summary line when it ends")
    func pipe() {
        let captured = Captured()
        let renderer = ProgressRenderer(isTerminal: false, write: captured.append)
        for done in 0..<10 { renderer.update("images", done, 10) }
        #expect(captured.text.isEmpty)
        renderer.update("images", 10, 10, detail: "loss 0.5")
        #expect(captured.text.hasPrefix("images: 10 in ") && captured.text.hasSuffix(", loss 0.5\n"))
        #expect(captured.text.filter { $0 == "\n" }.count == 1 && !captured.text.contains("\r"))
    }

    @Test("on a terminal: a bar redrawn in place, then the summary replaces it")
    func terminal() {
        let captured = Captured()
        let renderer = ProgressRenderer(isTerminal: true, write: captured.append)
        renderer.update("images", 3, 10)
        #expect(captured.text.hasPrefix("\r\u{1B}[K") && captured.text.contains("[#######") && captured.text.contains("3/10"))
        renderer.update("images", 10, 10)
        #expect(captured.text.hasSuffix("\n") && captured.text.contains("\r\u{1B}[Kimages: 10 in "))
    }

    @Test("a stage that ends without having shown progress still gets its summary line")
    func finishWithoutUpdates() {
        let captured = Captured()
        ProgressRenderer(isTerminal: false, write: captured.append).finish("model.safetensors", 2_000_000, unit: .bytes)
        #expect(captured.text.hasPrefix("model.safetensors: 2.0 MB in "))
    }

    @Test("a diagnostic closes a bar being drawn first")
    func interrupt() {
        let captured = Captured()
        let renderer = ProgressRenderer(isTerminal: true, write: captured.append)
        renderer.update("train", 1, 5)
        renderer.interrupt()
        #expect(captured.text.hasSuffix("\n"))
    }

    @Test("rates, times left and sizes read as a person writes them")
    func formatting() {
        #expect(ProgressRenderer.bytes(1536) == "1.5 KB" && ProgressRenderer.bytes(999) == "999 B")
        #expect(ProgressRenderer.duration(75) == "75 s" && ProgressRenderer.duration(600) == "10 min" && ProgressRenderer.duration(3725 * 2) == "2 h 4 min")
        let line = ProgressRenderer.line("x", 50, 100, unit: .items, detail: nil, elapsed: 10)
        #expect(line.contains("50/100") && line.contains("5.0/s") && line.contains("10 s left"))
    }
}
