/// The Python `str` operations the reference tokenizer uses, on arrays of Unicode scalars.
struct PythonText: Sendable {
    let tables: FixTextTables

    func isSpace(_ scalar: Unicode.Scalar) -> Bool { tables.pythonSpace.contains(scalar) }

    /// `" ".join(text.split()).strip()`: runs of whitespace become one space, none at the ends.
    func collapseWhitespace(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var pendingSpace = false
        for scalar in text {
            if isSpace(scalar) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            }
        }
        return out
    }

    /// `text.strip()`.
    func strip(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(text[first...last])
    }

    /// `text.lower()`: full lowercase mappings, with Greek capital sigma becoming final sigma (ς)
    /// at the end of a word as CPython decides it.
    func lower(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for (index, scalar) in text.enumerated() {
            if scalar.value < 0x80 {
                out.append(("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar)
            } else if scalar == "\u{03A3}" {
                out.append(isFinalSigma(text, at: index) ? "\u{03C2}" : "\u{03C3}")
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// Final_Sigma: a cased letter before (skipping case-ignorables) and none after.
    private func isFinalSigma(_ text: [Unicode.Scalar], at index: Int) -> Bool {
        var j = index - 1
        while j >= 0 && text[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && text[j].properties.isCased else { return false }
        j = index + 1
        while j < text.count && text[j].properties.isCaseIgnorable { j += 1 }
        return j == text.count || !text[j].properties.isCased
    }
}
