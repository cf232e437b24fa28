/// How a split keeps the delimiters it finds (`tokenizers`' `SplitDelimiterBehavior`).
enum DelimiterBehavior: String {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    static func parse(_ field: JSONField, default fallback: DelimiterBehavior) throws -> DelimiterBehavior {
        if field.isNull { return fallback }
        let name = try field.string()
        guard let behavior = DelimiterBehavior(rawValue: name) else { throw field.fail("unknown split behavior \"\(name)\"") }
        return behavior
    }
}

/// A `tokenizer.json` pre-tokeniser: the `pre_tokenizer` section, which cuts normalised text into the
/// pieces the model encodes one by one. Same behaviour as the `tokenizers` library's.
indirect enum TextPreTokenizer {
    case sequence([TextPreTokenizer])
    /// Whitespace removed, then every BERT punctuation character on its own.
    case bert
    /// `\w+|[^\w\s]+`.
    case whitespace
    case whitespaceSplit
    case punctuation(DelimiterBehavior)
    case digits(individually: Bool)
    case split(TextPattern, DelimiterBehavior, invert: Bool)
    /// Spaces become `replacement`, which is prepended per `prependScheme` and (with `split`) starts
    /// each piece.
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)

    enum PrependScheme: String { case always, first, never }

    static func parse(_ field: JSONField) throws -> TextPreTokenizer? {
        if field.isNull { return nil }
        let type = try field["type"].string()
        switch type {
        case "Sequence": return .sequence(try field["pretokenizers"].array().compactMap { try parse($0) })
        case "BertPreTokenizer": return .bert
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Punctuation": return .punctuation(try DelimiterBehavior.parse(field["behavior"], default: .isolated))
        case "Digits": return .digits(individually: try field["individual_digits"].bool(default: false))
        case "Split":
            return .split(try TextPattern.parse(field["pattern"]), try DelimiterBehavior.parse(field["behavior"], default: .removed),
                          invert: try field["invert"].bool(default: false))
        case "Metaspace":
            var scheme = PrependScheme.always
            if !field["prepend_scheme"].isNull {
                let name = try field["prepend_scheme"].string()
                guard let parsed = PrependScheme(rawValue: name) else { throw field["prepend_scheme"].fail("unknown prepend_scheme \"\(name)\"") }
                scheme = parsed
            }
            if try field["add_prefix_space"].bool(default: true) == false {
                guard scheme == .never || field["prepend_scheme"].isNull else {
                    throw field["add_prefix_space"].fail("add_prefix_space does not match prepend_scheme")
                }
                scheme = .never
            }
            return .metaspace(replacement: try field["replacement"].scalar(), prependScheme: scheme,
                              split: try field["split"].bool(default: true))
        default:
            throw field["type"].fail("unsupported pre_tokenizer type \"\(type)\"")
        }
    }

    /// The pieces of `pieces`, each split further.
    func callAsFunction(_ pieces: [NormalizedText]) -> [NormalizedText] {
        switch self {
        case let .sequence(steps):
            return steps.reduce(pieces) { $1($0) }
        default:
            return pieces.flatMap { split($0) }
        }
    }

    private func split(_ piece: NormalizedText) -> [NormalizedText] {
        switch self {
        case .sequence:
            return self([piece])
        case .bert:
            return Self.splitting(piece, where: CharacterClasses.isWhitespace, .removed).flatMap {
                Self.splitting($0, where: CharacterClasses.isBertPunctuation, .isolated)
            }
        case .whitespace:
            return Self.wordsAndSymbols(piece)
        case .whitespaceSplit:
            return Self.splitting(piece, where: CharacterClasses.isWhitespace, .removed)
        case let .punctuation(behavior):
            return Self.splitting(piece, where: CharacterClasses.isBertPunctuation, behavior)
        case let .digits(individually):
            return Self.splitting(piece, where: CharacterClasses.isNumeric, individually ? .isolated : .contiguous)
        case let .split(pattern, behavior, invert):
            var matches = pattern.matches(in: piece.scalars).map { ($0, true) }
            if invert { matches = Self.complement(matches.map(\.0), count: piece.scalars.count).map { ($0, true) } }
            return Self.splitting(piece, matches: Self.withGaps(matches.map(\.0), count: piece.scalars.count), behavior)
        case let .metaspace(replacement, scheme, split):
            var text = piece.mapped { $0 == " " ? [replacement] : [$0] }
            // As `NormalizedString::prepend`, nothing is prepended to empty text.
            let startsWithReplacement = text.isEmpty || text.scalars.first == replacement
            switch scheme {
            case .always where !startsWithReplacement: text = text.prepending([replacement])
            case .first where !startsWithReplacement && piece.originalStart == 0: text = text.prepending([replacement])
            default: break
            }
            return split ? Self.splitting(text, where: { $0 == replacement }, .mergedWithNext) : [text]
        }
    }

    /// Runs of word characters and runs of other non-space characters, spaces dropped.
    private static func wordsAndSymbols(_ piece: NormalizedText) -> [NormalizedText] {
        var ranges: [Range<Int>] = []
        var index = 0
        let scalars = piece.scalars
        while index < scalars.count {
            if CharacterClasses.isWhitespace(scalars[index]) && !CharacterClasses.isWordCharacter(scalars[index]) {
                index += 1
                continue
            }
            let isWord = CharacterClasses.isWordCharacter(scalars[index])
            let start = index
            while index < scalars.count, CharacterClasses.isWordCharacter(scalars[index]) == isWord,
                  isWord || !CharacterClasses.isWhitespace(scalars[index]) { index += 1 }
            ranges.append(start..<index)
        }
        return ranges.map { piece.slice($0) }
    }

    /// The ranges not covered by `ranges` (sorted, disjoint) in `0..<count`.
    private static func complement(_ ranges: [Range<Int>], count: Int) -> [Range<Int>] {
        var gaps: [Range<Int>] = []
        var position = 0
        for range in ranges {
            if position < range.lowerBound { gaps.append(position..<range.lowerBound) }
            position = range.upperBound
        }
        if position < count { gaps.append(position..<count) }
        return gaps
    }

    /// Matches and the gaps between them, in order, each flagged as a match or not.
    private static func withGaps(_ matches: [Range<Int>], count: Int) -> [(Range<Int>, Bool)] {
        var all: [(Range<Int>, Bool)] = []
        var position = 0
        for match in matches {
            if position < match.lowerBound { all.append((position..<match.lowerBound, false)) }
            all.append((match, true))
            position = match.upperBound
        }
        if position < count { all.append((position..<count, false)) }
        return all
    }

    /// A split at every scalar for which `isDelimiter` holds (each scalar its own match).
    static func splitting(_ piece: NormalizedText, where isDelimiter: (Unicode.Scalar) -> Bool,
                          _ behavior: DelimiterBehavior) -> [NormalizedText] {
        var matches: [(Range<Int>, Bool)] = []
        var gapStart = 0
        for (index, scalar) in piece.scalars.enumerated() where isDelimiter(scalar) {
            if gapStart < index { matches.append((gapStart..<index, false)) }
            matches.append((index..<(index + 1), true))
            gapStart = index + 1
        }
        if gapStart < piece.scalars.count { matches.append((gapStart..<piece.scalars.count, false)) }
        return splitting(piece, matches: matches, behavior)
    }

    /// `NormalizedString::split`: matches and gaps combined per `behavior`, empty pieces dropped.
    static func splitting(_ piece: NormalizedText, matches: [(Range<Int>, Bool)], _ behavior: DelimiterBehavior) -> [NormalizedText] {
        var pieces: [Range<Int>] = []
        switch behavior {
        case .isolated:
            pieces = matches.map(\.0)
        case .removed:
            pieces = matches.filter { !$0.1 }.map(\.0)
        case .contiguous:
            var previous: Bool?
            for (range, isMatch) in matches {
                if isMatch == previous, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    pieces.append(range)
                }
                previous = isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in matches {
                if isMatch && !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    pieces.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (range, isMatch) in matches.reversed() {
                if isMatch && !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    pieces.append(range)
                }
                previousMatch = isMatch
            }
            pieces.reverse()
        }
        return pieces.filter { !$0.isEmpty }.map { piece.slice($0) }
    }
}
