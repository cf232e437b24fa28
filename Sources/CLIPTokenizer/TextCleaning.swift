/// The text cleaning open_clip's `HFTokenizer` applies before a Hugging Face tokenizer
/// (`tokenizer_kwargs.clean` in a model configuration), and SigLIP's canonicalisation.
public enum TextCleaning: String, Sendable, CaseIterable {
    /// `whitespace_clean(basic_clean(text))`: ftfy's `fix_text`, HTML-unescaped twice, whitespace
    /// runs collapsed to one space, stripped (open_clip's default for Hugging Face tokenizers).
    case whitespace
    /// `whitespace` and lower-cased.
    case lower
    /// big_vision's `canonicalize_text(basic_clean(text))`: underscores become spaces, ASCII
    /// punctuation is removed, lower-cased, whitespace collapsed (SigLIP).
    case canonicalize
}

/// Applies `TextCleaning` with the reference's Python string semantics.
struct TextCleaner: Sendable {
    private let fixer: TextFixer
    private let unescaper: HTMLUnescaper
    private let python: PythonText

    init() throws {
        let tables = try FixTextTables.load()
        fixer = TextFixer(tables: tables)
        unescaper = HTMLUnescaper(tables: tables)
        python = PythonText(tables: tables)
    }

    /// `basic_clean`: `fix_text`, `html.unescape` twice, `strip`.
    func basicClean(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        python.strip(unescaper.pythonUnescape(unescaper.pythonUnescape(fixer.fixText(text))))
    }

    /// big_vision's `canonicalize_text` (without `basic_clean`) in its two published orders:
    /// open_clip replaces underscores with spaces, removes ASCII punctuation, then lower-cases;
    /// transformers' `SiglipTokenizer` lower-cases (when `lowercase`) before removing punctuation
    /// and keeps underscores. Both collapse whitespace and strip.
    func canonicalize(_ text: [Unicode.Scalar], order: CanonicalizationOrder, lowercase: Bool = true) -> [Unicode.Scalar] {
        func withoutPunctuation(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
            scalars.filter { !($0.isASCII && CharacterClasses.isASCIIPunctuation($0)) }
        }
        switch order {
        case .openCLIP:
            return python.collapseWhitespace(python.lower(withoutPunctuation(text.map { $0 == "_" ? " " : $0 })))
        case .transformers:
            return python.collapseWhitespace(withoutPunctuation(lowercase ? python.lower(text) : text))
        }
    }

    enum CanonicalizationOrder { case openCLIP, transformers }

    /// Python's `str.isspace` for one character.
    func isSpace(_ scalar: Unicode.Scalar) -> Bool { python.isSpace(scalar) }


    func callAsFunction(_ text: String, _ cleaning: TextCleaning) -> String {
        let basic = basicClean(Array(text.unicodeScalars))
        let cleaned: [Unicode.Scalar]
        switch cleaning {
        case .whitespace: cleaned = python.collapseWhitespace(basic)
        case .lower: cleaned = python.lower(python.collapseWhitespace(basic))
        case .canonicalize: cleaned = canonicalize(basic, order: .openCLIP)
        }
        return String(String.UnicodeScalarView(cleaned))
    }
}
