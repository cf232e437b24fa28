/// ftfy's mojibake heuristic (`ftfy.badness.is_bad`): does any alternative of `BADNESS_RE` match
/// somewhere in the text?
struct MojibakeDetector: Sendable {
    let tables: FixTextTables

    func isBad(_ text: [Unicode.Scalar]) -> Bool {
        for start in 0..<max(text.count, 1) {
            for alternative in tables.badness where matches(alternative, 0, text, start) {
                return true
            }
        }
        return false
    }

    /// Whether `items[index...]` match at `position` (greedy repetition with backtracking, as `re`).
    private func matches(_ items: [FixTextTables.PatternItem], _ index: Int, _ text: [Unicode.Scalar], _ position: Int) -> Bool {
        guard index < items.count else { return true }
        let item = items[index]
        if case .startOfText = item.kind {
            return position == 0 && matches(items, index + 1, text, position)
        }
        var count = 0
        while count < item.maximum, position + count < text.count, accepts(item, text[position + count]) {
            count += 1
        }
        guard count >= item.minimum else { return false }
        for taken in stride(from: count, through: item.minimum, by: -1) where matches(items, index + 1, text, position + taken) {
            return true
        }
        return false
    }

    private func accepts(_ item: FixTextTables.PatternItem, _ scalar: Unicode.Scalar) -> Bool {
        switch item.kind {
        case .anyButNewline:
            return scalar != "\n"
        case .startOfText:
            return false
        case let .characters(set, negated, space, word):
            let member = set.contains(scalar) || (space && tables.reSpace.contains(scalar)) || (word && tables.reWord.contains(scalar))
            return member != negated
        }
    }
}
