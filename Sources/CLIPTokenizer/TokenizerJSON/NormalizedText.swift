import Foundation

/// Text being normalised and split, as Unicode scalars, each with the offset (in scalars) of the
/// input scalar it came from. The offsets matter only where `tokenizers` looks at them: Metaspace's
/// `prepend_scheme: "first"` prepends only to the piece that starts the input.
struct NormalizedText: Equatable {
    var scalars: [Unicode.Scalar]
    var origins: [Int]
    /// Where this piece starts in the input: the start of the segment it was cut from when it is a
    /// whole segment, else the origin of its first scalar.
    var originalStart: Int

    init(_ scalars: [Unicode.Scalar], origins: [Int], originalStart: Int) {
        self.scalars = scalars
        self.origins = origins
        self.originalStart = originalStart
    }

    /// A segment of the input starting at `offset`.
    init(segment scalars: [Unicode.Scalar], offset: Int) {
        self.init(scalars, origins: scalars.indices.map { offset + $0 }, originalStart: offset)
    }

    var isEmpty: Bool { scalars.isEmpty }
    var text: String { String(String.UnicodeScalarView(scalars)) }

    /// The scalars in `range`, as `tokenizers`' `NormalizedString::slice` cuts them.
    func slice(_ range: Range<Int>) -> NormalizedText {
        NormalizedText(Array(scalars[range]), origins: Array(origins[range]),
                       originalStart: range.lowerBound == 0 && range.upperBound == scalars.count ? originalStart
                           : (range.isEmpty ? originalStart : origins[range.lowerBound]))
    }

    /// Each scalar mapped to zero or more scalars, which take its origin.
    func mapped(_ transform: (Unicode.Scalar) -> [Unicode.Scalar]) -> NormalizedText {
        var out: [Unicode.Scalar] = [], outOrigins: [Int] = []
        out.reserveCapacity(scalars.count)
        outOrigins.reserveCapacity(scalars.count)
        for (scalar, origin) in zip(scalars, origins) {
            for replacement in transform(scalar) {
                out.append(replacement)
                outOrigins.append(origin)
            }
        }
        return NormalizedText(out, origins: outOrigins, originalStart: originalStart)
    }

    func filtered(_ keep: (Unicode.Scalar) -> Bool) -> NormalizedText {
        mapped { keep($0) ? [$0] : [] }
    }

    /// `prefix` put before the text; its scalars take the origin of the first scalar.
    func prepending(_ prefix: [Unicode.Scalar]) -> NormalizedText {
        let origin = origins.first ?? originalStart
        return NormalizedText(prefix + scalars, origins: Array(repeating: origin, count: prefix.count) + origins,
                              originalStart: originalStart)
    }

    /// Every range in `ranges` (sorted, disjoint) replaced by `replacement`, which takes the origin of
    /// the range's first scalar.
    func replacing(_ ranges: [Range<Int>], with replacement: [Unicode.Scalar]) -> NormalizedText {
        guard !ranges.isEmpty else { return self }
        var out: [Unicode.Scalar] = [], outOrigins: [Int] = []
        var position = 0
        for range in ranges {
            out += scalars[position..<range.lowerBound]
            outOrigins += origins[position..<range.lowerBound]
            let origin = range.isEmpty ? (range.lowerBound < origins.count ? origins[range.lowerBound] : origins.last ?? originalStart)
                : origins[range.lowerBound]
            out += replacement
            outOrigins += Array(repeating: origin, count: replacement.count)
            position = range.upperBound
        }
        out += scalars[position...]
        outOrigins += origins[position...]
        return NormalizedText(out, origins: outOrigins, originalStart: originalStart)
    }

    /// One of Unicode's normalisation forms of the whole text. The origins come from normalising
    /// runs that start at a scalar of combining class 0 one by one; in the rare text where that
    /// differs from normalising the whole (starters that compose), the text is right and every
    /// scalar takes the first origin.
    func normalized(_ form: UnicodeNormalizationForm) -> NormalizedText {
        let whole = form.apply(scalars)
        guard whole != scalars else { return self }
        var out: [Unicode.Scalar] = [], outOrigins: [Int] = []
        var start = 0
        while start < scalars.count {
            var end = start + 1
            while end < scalars.count, scalars[end].properties.canonicalCombiningClass != .notReordered { end += 1 }
            let run = form.apply(Array(scalars[start..<end]))
            out += run
            outOrigins += Array(repeating: origins[start], count: run.count)
            start = end
        }
        if out != whole {
            outOrigins = Array(repeating: origins.first ?? originalStart, count: whole.count)
        }
        return NormalizedText(whole, origins: outOrigins, originalStart: originalStart)
    }
}

/// Unicode's four normalisation forms.
enum UnicodeNormalizationForm: String {
    case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"

    func apply(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if scalars.allSatisfy({ $0.isASCII }) { return scalars }
        let string = String(String.UnicodeScalarView(scalars))
        let result: String
        switch self {
        case .nfc: result = string.precomposedStringWithCanonicalMapping
        case .nfd: result = string.decomposedStringWithCanonicalMapping
        case .nfkc: result = string.precomposedStringWithCompatibilityMapping
        case .nfkd: result = string.decomposedStringWithCompatibilityMapping
        }
        return Array(result.unicodeScalars)
    }
}
