/// One value inside a parsed `tokenizer.json`, with the path that names it in errors
/// (`model.vocab[3]`, `post_processor.special_tokens.[CLS].ids`).
struct JSONField {
    let value: JSONValue?
    let path: String
    let file: String

    init(root: JSONValue, file: String) {
        value = root
        path = "$"
        self.file = file
    }

    private init(value: JSONValue?, path: String, file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    /// The member `key` of this object (absent members read as missing).
    subscript(key: String) -> JSONField {
        JSONField(value: value?[key], path: path == "$" ? key : "\(path).\(key)", file: file)
    }

    /// Whether the value is missing or JSON null.
    var isNull: Bool {
        if case .null = value { return true }
        return value == nil
    }

    func fail(_ reason: String) -> TokenizerError {
        .invalidTokenizerFile(path: file, field: path, reason: reason)
    }

    private func expected(_ kind: String) -> TokenizerError { fail(isNull ? "missing" : "expected \(kind)") }

    /// The members in file order, keys exactly as written.
    func members() throws -> [(key: String, value: JSONField)] {
        guard case let .object(members) = value else { throw expected("an object") }
        return members.map { ($0.key, JSONField(value: $0.value, path: "\(path).\($0.key)", file: file)) }
    }

    func array() throws -> [JSONField] {
        guard case let .array(elements) = value else { throw expected("an array") }
        return elements.enumerated().map { JSONField(value: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    func string() throws -> String {
        guard case let .string(string) = value else { throw expected("a string") }
        return string
    }

    func optionalString() throws -> String? { isNull ? nil : try string() }

    func bool(default fallback: Bool? = nil) throws -> Bool {
        if isNull, let fallback { return fallback }
        guard case let .bool(flag) = value else { throw expected("true or false") }
        return flag
    }

    func int(default fallback: Int? = nil, in range: ClosedRange<Int> = 0...Int(Int32.max)) throws -> Int {
        if isNull, let fallback { return fallback }
        guard case let .number(number) = value else { throw expected("an integer") }
        guard number.rounded() == number, number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
            throw fail("\(number) is not an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return Int(number)
    }

    func optionalInt(in range: ClosedRange<Int> = 0...Int(Int32.max)) throws -> Int? { isNull ? nil : try int(in: range) }

    func double() throws -> Double {
        guard case let .number(number) = value else { throw expected("a number") }
        guard number.isFinite else { throw fail("\(number) is not finite") }
        return number
    }

    /// A single Unicode scalar given as a one-character string (Metaspace's `replacement`).
    func scalar() throws -> Unicode.Scalar {
        let text = try string()
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else { throw fail("expected one character, got \"\(text)\"") }
        return scalar
    }
}
