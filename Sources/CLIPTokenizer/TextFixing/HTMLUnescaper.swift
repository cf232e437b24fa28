/// HTML entity decoding: CPython's `html.unescape` and ftfy's stricter `unescape_html`.
struct HTMLUnescaper: Sendable {
    let tables: FixTextTables

    /// `html.unescape`: named references from the HTML5 table (longest prefix when the name runs on),
    /// decimal and hexadecimal references with the standard's replacements for invalid numbers.
    func pythonUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard text[i] == "&", let (end, replacement) = pythonReference(text, at: i + 1) else {
                out.append(text[i])
                i += 1
                continue
            }
            out.append(contentsOf: replacement)
            i = end
        }
        return out
    }

    /// Matches `#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?` at `start` and returns the end
    /// of the match and its replacement.
    private func pythonReference(_ text: [Unicode.Scalar], at start: Int) -> (Int, [Unicode.Scalar])? {
        guard start < text.count else { return nil }
        if text[start] == "#" {
            var i = start + 1
            var hexadecimal = false
            if i < text.count, text[i] == "x" || text[i] == "X", i + 1 < text.count, isHexDigit(text[i + 1]) {
                hexadecimal = true
                i += 1
            }
            let digitsStart = i
            while i < text.count, hexadecimal ? isHexDigit(text[i]) : isDecimalDigit(text[i]) { i += 1 }
            guard i > digitsStart else { return nil }
            let digits = String(String.UnicodeScalarView(text[digitsStart..<i]))
            if i < text.count, text[i] == ";" { i += 1 }
            return (i, numericReference(digits, radix: hexadecimal ? 16 : 10))
        }
        var i = start
        while i < text.count, i - start < 32, !"\t\n\u{0C} <&#;".unicodeScalars.contains(text[i]) { i += 1 }
        guard i > start else { return nil }
        if i < text.count, text[i] == ";" { i += 1 }
        let name = Array(text[start..<i])
        if let value = tables.html5Entities[String(String.UnicodeScalarView(name))] {
            return (i, Array(value.unicodeScalars))
        }
        // The longest known prefix (at least 2 characters), the rest kept as text.
        for length in stride(from: name.count - 1, to: 1, by: -1) {
            if let value = tables.html5Entities[String(String.UnicodeScalarView(name[..<length]))] {
                return (i, Array(value.unicodeScalars) + name[length...])
            }
        }
        return (i, ["&"] + name)
    }

    private func numericReference(_ digits: String, radix: Int) -> [Unicode.Scalar] {
        // Any number beyond the Unicode range behaves alike, so overflow just means "too large".
        let number = UInt32(digits, radix: radix) ?? UInt32.max
        if let replacement = tables.invalidCharrefs[number] { return Array(replacement.unicodeScalars) }
        if (0xD800...0xDFFF).contains(number) || number > 0x10FFFF { return ["\u{FFFD}"] }
        if tables.invalidCodepoints.contains(number) { return [] }
        return Unicode.Scalar(number).map { [$0] } ?? ["\u{FFFD}"]
    }

    /// ftfy's `unescape_html`: only `&name;` forms from ftfy's table (including upper-case variants
    /// such as `&EACUTE;`), and numeric references that decode cleanly.
    func ftfyUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            // &#?[0-9A-Za-z]{1,24};
            guard text[i] == "&" else {
                out.append(text[i])
                i += 1
                continue
            }
            var j = i + 1
            if j < text.count, text[j] == "#" { j += 1 }
            let nameStart = j
            while j < text.count, j - nameStart < 24, isASCIIAlphanumeric(text[j]) { j += 1 }
            guard j > nameStart, j < text.count, text[j] == ";" else {
                out.append(text[i])
                i += 1
                continue
            }
            let match = Array(text[i...j])
            let key = String(String.UnicodeScalarView(match))
            if let value = tables.ftfyEntities[key] {
                out.append(contentsOf: value.unicodeScalars)
            } else if match.count > 1, match[1] == "#" {
                let unescaped = pythonUnescape(match)
                out.append(contentsOf: unescaped.contains(";") ? match : unescaped)
            } else {
                out.append(contentsOf: match)
            }
            i = j + 1
        }
        return out
    }

    private func isDecimalDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
    private func isHexDigit(_ s: Unicode.Scalar) -> Bool { isDecimalDigit(s) || ("a"..."f").contains(s) || ("A"..."F").contains(s) }
    private func isASCIIAlphanumeric(_ s: Unicode.Scalar) -> Bool { isDecimalDigit(s) || ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
}
