import NIOCore
import PostgresNIO

/// pgvector's `vector` in PostgreSQL's binary wire format, both ways: a 16-bit dimension count, 16
/// unused bits, then the elements as big-endian 32-bit floats. The type's OID differs between
/// databases (an extension's types are created on install), so a value carries the one the store
/// looked up.
struct PGVectorValue: PostgresDynamicTypeEncodable {
    /// The elements.
    let elements: [Float]
    /// The `vector` type of the database.
    let psqlType: PostgresDataType

    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeInteger(Int16(elements.count))
        buffer.writeInteger(Int16(0))
        for element in elements { buffer.writeInteger(element.bitPattern) }
    }

    /// The most dimensions pgvector's `vector` holds.
    static let maximumDimensions = 16_000

    /// The elements of a binary `vector` value of `width` dimensions; a value of another width, or
    /// cut short, is `SearchError.store` naming `location`.
    static func decode(_ bytes: ByteBuffer?, width: Int, location: String) throws -> [Float] {
        guard var bytes else { throw SearchError.store(location: location, reason: "a vector is NULL") }
        guard let dimensions = bytes.readInteger(as: Int16.self), bytes.readInteger(as: Int16.self) != nil else {
            throw SearchError.store(location: location, reason: "a vector value shorter than its header")
        }
        guard Int(dimensions) == width else {
            throw SearchError.store(location: location, reason: "a vector of \(dimensions) dimensions where the model's have \(width)")
        }
        guard bytes.readableBytes == width * 4 else {
            throw SearchError.store(location: location, reason: "a vector value of \(bytes.readableBytes) bytes for \(width) dimensions")
        }
        return (0..<width).map { _ in Float(bitPattern: bytes.readInteger(as: UInt32.self)!) }
    }
}
