import Foundation

/// The one JSON style of the command line: keys sorted, slashes unescaped, floats in their shortest
/// form (`0.48145467`, not `0.48145467042922974`).
enum JSONOutput {
    static func encode<T: Encodable>(_ value: T, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }

    /// `records` as JSON Lines: one compact object per line.
    static func lines<Record: Encodable>(_ records: [Record]) throws -> Data {
        var data = Data()
        for record in records { data += try encode(record, pretty: false) + Data("\n".utf8) }
        return data
    }
}
