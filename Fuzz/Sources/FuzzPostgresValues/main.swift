// What the PostgreSQL store reads from outside: a store URL (from the command line or
// CLIP_INDEX_STORE) and pgvector's binary `vector` values as the server returns them. The first
// byte picks which; for a vector, the second is the expected width. A decoded vector encodes back
// to the same bytes.
import CLIPSearch
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    guard let selector = data.first else { return 0 }
    let body = Array(data.dropFirst())
    if selector & 1 == 0 {
        let text = String(decoding: body, as: UTF8.self)
        if let location = try? PostgresLocation(text) {
            precondition(!location.description.isEmpty)
            _ = PostgresLocation.isPostgresURL(location.description)
        }
    } else if let width = body.first {
        let value = Array(body.dropFirst())
        if let vector = try? PGVectorBinary.decode(value, width: Int(width), location: "fuzz") {
            var canonical = value
            canonical[2] = 0
            canonical[3] = 0
            precondition(vector.count == Int(width) && PGVectorBinary.encode(vector) == canonical)
        }
    }
    return 0
}
