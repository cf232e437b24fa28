import NIOCore
import PostgresNIO

/// pgvector's `vector` in PostgreSQL's binary wire format: a big-endian 16-bit dimension count, 16
/// unused bits, then the elements as big-endian 32-bit floats.
public enum PGVectorBinary {
    /// The most dimensions pgvector's `vector` holds.
    public static let maximumDimensions = 16_000

    /// The bytes of `elements`.
    public static func encode(_ elements: [Float]) -> [UInt8] {
        var buffer = ByteBuffer()
        write(elements, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    static func write(_ elements: [Float], into buffer: inout ByteBuffer) {
        buffer.writeInteger(Int16(elements.count))
        buffer.writeInteger(Int16(0))
        for element in elements { buffer.writeInteger(element.bitPattern) }
    }

    /// The elements of a value that must have `width` dimensions; anything else (another width,
    /// cut short, trailing bytes) is `SearchError.store` naming `location`.
    public static func decode(_ bytes: [UInt8], width: Int, location: String) throws -> [Float] {
        try decode(ByteBuffer(bytes: bytes), width: width, location: location)
    }

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

/// A `vector` parameter of a query, carrying the OID of the database's `vector` type (an
/// extension's types get theirs when installed).
struct PGVectorValue: PostgresDynamicTypeEncodable {
    /// The elements.
    let elements: [Float]
    /// The `vector` type of the database.
    let psqlType: PostgresDataType

    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        PGVectorBinary.write(elements, into: &buffer)
    }
}
