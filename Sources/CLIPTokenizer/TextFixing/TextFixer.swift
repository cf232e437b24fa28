import Foundation

/// ftfy's `fix_text` with its default configuration (ftfy 6.3): HTML entities (unless the text
/// contains "<"), mojibake repair, C1 controls, Latin ligatures, character width, curly quotes,
/// line breaks, terminal escapes, control characters and NFC, repeated until nothing changes.
///
/// Text is handled as arrays of Unicode scalars, which is how Python indexes strings. Python strings
/// may hold lone surrogates and Swift strings cannot, so `fix_surrogates` has nothing to do here.
struct TextFixer: Sendable {
    let tables: FixTextTables
    private let detector: MojibakeDetector
    private let unescaper: HTMLUnescaper
    private let codecs: ByteCodecs
    /// ftfy's `max_decode_length`: longer lines are fixed in pieces of this many characters.
    static let maximumSegmentLength = 1_000_000

    init(tables: FixTextTables) {
        self.tables = tables
        detector = MojibakeDetector(tables: tables)
        unescaper = HTMLUnescaper(tables: tables)
        codecs = ByteCodecs(tables: tables)
    }

    /// `ftfy.fix_text(text)`.
    func fixText(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var unescapeHTML = true
        var position = 0
        while position < text.count {
            var end = text[position...].firstIndex(of: "\n").map { $0 + 1 } ?? text.count
            end = min(end, position + Self.maximumSegmentLength)
            let segment = Array(text[position..<end])
            // As in ftfy, one segment containing "<" turns HTML unescaping off for the rest of the text.
            if unescapeHTML && segment.contains("<") { unescapeHTML = false }
            out.append(contentsOf: fixSegment(segment, unescapeHTML: unescapeHTML))
            position = end
        }
        return out
    }

    /// `ftfy.fix_and_explain` for one segment.
    private func fixSegment(_ segment: [Unicode.Scalar], unescapeHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        while true {
            let original = text
            if unescapeHTML { text = unescaper.ftfyUnescape(text) }
            text = fixEncoding(text)
            text = fixC1Controls(text)
            text = text.flatMap { tables.ligatures[$0.value].map { Array($0.unicodeScalars) } ?? [$0] }
            text = text.flatMap { tables.widthMap[$0.value].map { Array($0.unicodeScalars) } ?? [$0] }
            text = uncurlQuotes(text)
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = text.filter { !Self.isRemovedControl($0.value) }
            text = Self.nfc(text)
            if text == original { return text }
        }
    }

    // MARK: - Encoding repair

    /// `ftfy.fix_encoding`: one repair step at a time until the text stops changing.
    func fixEncoding(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var current = text
        while true {
            let next = fixEncodingOneStep(current)
            if next == current { return current }
            current = next
        }
    }

    private func fixEncodingOneStep(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.isEmpty || text.allSatisfy({ $0.value < 0x80 }) || !detector.isBad(text) { return text }
        var possible: [String] = []
        for encoding in tables.charmapEncodings where codecs.canEncode(text, as: encoding) {
            possible.append(encoding)
            guard var bytes = codecs.encode(text, as: encoding) else { continue }
            if encoding != "macroman" && ByteFixes.containsAlteredUTF8(bytes) {
                bytes = ByteFixes.restoreByteA0(bytes)
            }
            if encoding.hasPrefix("sloppy") {
                bytes = ByteFixes.replaceLossySequences(bytes)
            }
            let decoded = bytes.contains(0xED) || bytes.contains(0xC0)
                ? ByteCodecs.decodeUTF8Variants(bytes) : ByteCodecs.decodeUTF8(bytes)
            if let decoded { return decoded }
        }
        if firstUTF8Run(in: text, from: 0) != nil {
            let fixed = decodeInconsistentUTF8(text)
            if fixed != text { return fixed }
        }
        // ftfy checks for "windows-1252" among the sloppy names, which never matches, so Latin-1 text
        // always gets this strict Windows-1252 attempt.
        if possible.contains("latin-1"), let bytes = codecs.encode(text, as: "latin-1"),
           let fixed = codecs.decode(bytes, as: "windows-1252"), fixed != text {
            return fixed
        }
        if text.contains(where: { (0x80...0x9F).contains($0.value) }) {
            return fixC1Controls(text)
        }
        return text
    }

    /// ftfy's `decode_inconsistent_utf8`: fix each run that looks like UTF-8 mojibake embedded in
    /// otherwise fine text.
    private func decodeInconsistentUTF8(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var position = 0
        while let run = firstUTF8Run(in: text, from: position) {
            out.append(contentsOf: text[position..<run.lowerBound])
            let substring = Array(text[run])
            if substring.count < text.count && detector.isBad(substring) {
                out.append(contentsOf: fixEncoding(substring))
            } else {
                out.append(contentsOf: substring)
            }
            position = run.upperBound
        }
        out.append(contentsOf: text[position...])
        return out
    }

    /// The next match of ftfy's `UTF8_DETECTOR_RE` at or after `start`: not preceded by a strict
    /// continuation clue, one or more (first-of-N, N−1 continuations) groups.
    private func firstUTF8Run(in text: [Unicode.Scalar], from start: Int) -> Range<Int>? {
        var i = start
        while i < text.count {
            if i == 0 || !tables.utf8ContinuationStrict.contains(text[i - 1]) {
                var end = i
                while let length = utf8Group(text, at: end) { end += length }
                if end > i { return i..<end }
            }
            i += 1
        }
        return nil
    }

    private func utf8Group(_ text: [Unicode.Scalar], at i: Int) -> Int? {
        func continuations(_ count: Int) -> Bool {
            i + count < text.count && (1...count).allSatisfy { tables.utf8Continuation.contains(text[i + $0]) }
        }
        guard i < text.count else { return nil }
        if tables.utf8FirstOf2.contains(text[i]) && continuations(1) { return 2 }
        if tables.utf8FirstOf3.contains(text[i]) && continuations(2) { return 3 }
        if tables.utf8FirstOf4.contains(text[i]) && continuations(3) { return 4 }
        return nil
    }

    /// ftfy's `fix_c1_controls`: C1 control characters read as their Windows-1252 meaning.
    private func fixC1Controls(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let table = tables.decodeTables["sloppy-windows-1252"] else { return text }
        return text.map { (0x80...0x9F).contains($0.value) ? (table[Int($0.value)] ?? $0) : $0 }
    }

    // MARK: - Character fixes

    private func uncurlQuotes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.map { scalar in
            switch scalar.value {
            case 0x201C...0x201F: return "\""
            case 0x02BC, 0x2018...0x201B: return "'"
            default: return scalar
            }
        }
    }

    private func fixLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            switch text[i] {
            case "\r":
                out.append("\n")
                if i + 1 < text.count && text[i + 1] == "\n" { i += 1 }
            case "\u{2028}", "\u{2029}", "\u{85}":
                out.append("\n")
            default:
                out.append(text[i])
            }
            i += 1
        }
        return out
    }

    /// Removes ANSI escapes `ESC [ (digits or ;)* letter`; digits are any Unicode decimal digits,
    /// as `\d` in a Python str pattern.
    private func removeTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < text.count {
            if text[i] == "\u{1B}", i + 1 < text.count, text[i + 1] == "[" {
                var j = i + 2
                while j < text.count, text[j] == ";" || text[j].properties.generalCategory == .decimalNumber { j += 1 }
                if j < text.count, ("a"..."z").contains(text[j]) || ("A"..."Z").contains(text[j]) {
                    i = j + 1
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }

    /// ftfy's `remove_control_chars` set.
    private static func isRemovedControl(_ value: UInt32) -> Bool {
        switch value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }

    /// Unicode normalisation form C.
    static func nfc(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.allSatisfy({ $0.value < 0x300 }) { return text }  // nothing below U+0300 composes
        let string = String(String.UnicodeScalarView(text))
        return Array(string.precomposedStringWithCanonicalMapping.unicodeScalars)
    }
}
