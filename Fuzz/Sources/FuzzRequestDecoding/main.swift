// Request bodies of `clip serve` as clients send them (any bytes): the first byte picks the route
// whose request type decodes the rest, as the route does; images inside (base64, data: URLs) are
// decoded and preprocessed as for a small model. Every outcome must be a value or a ServerError.
import CLIPImage
import CLIPServer
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    guard let choice = data.first else { return 0 }
    let body = Data(data.dropFirst())
    var limits = RequestLimits()
    limits.maximumImagePixels = 4_000_000
    let preprocessor = ImagePreprocessor(size: 8)
    func image(_ payload: String, _ param: String) {
        _ = try? RequestDecoding.pixels(payload, param: param, preprocessor: preprocessor, limits: limits)
    }
    switch choice % 6 {
    case 0:
        guard let request = try? RequestDecoding.decode(EmbeddingsRequest.self, from: body) else { return 0 }
        for (index, input) in request.input.prefix(8).enumerated() {
            if case let .image(payload) = input { image(payload, "input[\(index)].image") }
        }
    case 1:
        guard let request = try? RequestDecoding.decode(ClassifyRequest.self, from: body) else { return 0 }
        for (index, payload) in request.images.prefix(8).enumerated() { image(payload, "images[\(index)]") }
    case 2:
        guard let request = try? RequestDecoding.decode(SearchRequest.self, from: body) else { return 0 }
        for (index, term) in request.query.prefix(8).enumerated() {
            if case let .image(payload) = term.subject { image(payload, "query[\(index)].image") }
        }
    case 3:
        guard let request = try? RequestDecoding.decode(KnnRequest.self, from: body) else { return 0 }
        if let payload = request.image { image(payload, "image") }
    case 4:
        _ = try? RequestDecoding.decode(MetadataRequest.self, from: body)
    default:
        _ = try? RequestDecoding.decode(DuplicatesRequest.self, from: body)
    }
    return 0
}
