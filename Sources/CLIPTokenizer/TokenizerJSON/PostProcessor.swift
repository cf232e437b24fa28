/// The `post_processor` of a `tokenizer.json`: the special tokens put around one sequence
/// (`[CLS] $A [SEP]`, `<s> $A </s>`, `$A </s>`, `<bos> $A`).
indirect enum PostProcessor {
    /// `prefix`, the sequence, `suffix`: TemplateProcessing's single template, BertProcessing and
    /// RobertaProcessing.
    case around(prefix: [Int], suffix: [Int])
    case sequence([PostProcessor])

    static func parse(_ field: JSONField) throws -> PostProcessor? {
        if field.isNull { return nil }
        let type = try field["type"].string()
        switch type {
        case "TemplateProcessing": return try template(field)
        case "BertProcessing", "RobertaProcessing":
            return .around(prefix: [try tokenID(field["cls"])], suffix: [try tokenID(field["sep"])])
        case "ByteLevel": return .around(prefix: [], suffix: [])   // offsets only
        case "Sequence": return .sequence(try field["processors"].array().compactMap { try parse($0) })
        default: throw field["type"].fail("unsupported post_processor type \"\(type)\"")
        }
    }

    /// `["[CLS]", 101]`.
    private static func tokenID(_ field: JSONField) throws -> Int {
        let pair = try field.array()
        guard pair.count == 2 else { throw field.fail("expected [token, id]") }
        return try pair[1].int()
    }

    private static func template(_ field: JSONField) throws -> PostProcessor {
        var specials: [String: [Int]] = [:]
        for (name, entry) in try field["special_tokens"].isNull ? [] : field["special_tokens"].members() {
            specials[name] = try entry["ids"].array().map { try $0.int() }
        }
        let single = field["single"]
        var names: [(name: String?, field: JSONField)] = []   // nil name: the sequence
        if case .string = single.value {
            // The compact form "[CLS] $A [SEP]" (a type id may follow a colon).
            for word in try single.string().split(separator: " ") {
                let name = String(word.split(separator: ":", maxSplits: 1).first ?? word)
                names.append((name.hasPrefix("$") ? nil : name, single))
            }
        } else {
            for piece in try single.array() {
                if !piece["SpecialToken"].isNull {
                    names.append((try piece["SpecialToken"]["id"].string(), piece["SpecialToken"]["id"]))
                } else if !piece["Sequence"].isNull {
                    let sequence = try piece["Sequence"]["id"].string()
                    guard sequence == "A" else { throw piece["Sequence"]["id"].fail("the single template can only hold sequence A") }
                    names.append((nil, piece))
                } else {
                    throw piece.fail("expected {\"SpecialToken\": …} or {\"Sequence\": …}")
                }
            }
        }
        guard names.filter({ $0.name == nil }).count == 1 else { throw single.fail("the template must hold the sequence exactly once") }
        var prefix: [Int] = [], suffix: [Int] = []
        var seenSequence = false
        for (name, nameField) in names {
            guard let name else { seenSequence = true; continue }
            guard let ids = specials[name] else { throw nameField.fail("special token \"\(name)\" is not in special_tokens") }
            if seenSequence { suffix += ids } else { prefix += ids }
        }
        return .around(prefix: prefix, suffix: suffix)
    }

    /// How many ids the processor adds to one sequence.
    var addedCount: Int {
        switch self {
        case let .around(prefix, suffix): return prefix.count + suffix.count
        case let .sequence(steps): return steps.reduce(0) { $0 + $1.addedCount }
        }
    }

    func callAsFunction(_ ids: [Int]) -> [Int] {
        switch self {
        case let .around(prefix, suffix): return prefix + ids + suffix
        case let .sequence(steps): return steps.reduce(ids) { $1($0) }
        }
    }
}
