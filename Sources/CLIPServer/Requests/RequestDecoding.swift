import CLIPImage
import Foundation

/// The limits a request is held to; each is answered with its own error when passed.
public struct RequestLimits: Sendable {
    /// Bytes of request body (413 past it).
    public var maximumBodyBytes = 20 << 20
    /// Inputs in one embeddings or classify request (as OpenAI's embeddings API allows).
    public var maximumInputs = 2_048
    /// Characters in one text; CLIP reads only its first 77 tokens, but a longer text is
    /// almost certainly a mistake and would hold the engine while it is tokenised.
    public var maximumTextLength = 20_000
    /// Pixels in one decoded image (422 past it).
    public var maximumImagePixels = 50_000_000
    /// Labels in one classify request.
    public var maximumLabels = 1_000
    /// Results of one search.
    public var maximumResults = 10_000

    /// The defaults above.
    public init() {}
}

/// Turns request bodies into typed requests: JSON that does not parse is a 400, JSON of the wrong
/// shape a 422 naming the field. Pure functions of the bytes, so that the fuzz target calls them as
/// the routes do.
public enum RequestDecoding {
    /// `T` from the JSON `body`.
    public static func decode<T: Decodable>(_ type: T.Type, from body: Data) throws -> T {
        guard !body.isEmpty else { throw ServerError.malformedBody("the body is empty; send a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch let error as ServerError {
            throw error
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw ServerError.malformedBody("not JSON: \(context.underlyingError.map { String(describing: $0) } ?? context.debugDescription)")
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw ServerError.malformedBody(String(describing: error))
        }
    }

    /// A decoding error as the field it concerns and what is wrong with it.
    static func describe(_ error: DecodingError) -> ServerError {
        switch error {
        case let .keyNotFound(key, context):
            return .invalidField(param: path(context.codingPath + [key]), reason: "missing")
        case let .typeMismatch(type, context):
            return .invalidField(param: path(context.codingPath), reason: "expected \(describe(type))")
        case let .valueNotFound(type, context):
            return .invalidField(param: path(context.codingPath), reason: "expected \(describe(type)), found null")
        case let .dataCorrupted(context):
            if let error = context.underlyingError as? ServerError { return error }
            return .invalidField(param: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .malformedBody(String(describing: error))
        }
    }

    /// `input[2].image`, as a client would name the field.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "body" : text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Float.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "another type (\(type))"
        }
    }

    /// The bytes of an image sent as base64, or as a `data:` URL with base64 content.
    public static func imageBytes(_ text: String, param: String) throws -> Data {
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ","), payload[..<comma].hasSuffix(";base64") else {
                throw ServerError.unusableImage(param: param, reason: "a data: URL must carry base64 (data:image/jpeg;base64,…)")
            }
            payload = payload[payload.index(after: comma)...]
        } else if payload.hasPrefix("http://") || payload.hasPrefix("https://") || payload.hasPrefix("file:") {
            throw ServerError.unusableImage(param: param, reason: "send the image's bytes as base64; the server never reads a URL or path a client names")
        }
        guard let data = Data(base64Encoded: String(payload), options: .ignoreUnknownCharacters), !data.isEmpty else {
            throw ServerError.unusableImage(param: param, reason: "not base64")
        }
        return data
    }

    /// The image sent in `text` (base64 or a `data:` URL), decoded and preprocessed for a model.
    public static func pixels(_ text: String, param: String, preprocessor: ImagePreprocessor, limits: RequestLimits) throws -> [Float] {
        let data = try imageBytes(text, param: param)
        do {
            let image = try ImageDecoder(maximumPixels: limits.maximumImagePixels).decode(data, source: param)
            return preprocessor(image)
        } catch {
            let reason = String(describing: error)
            throw ServerError.unusableImage(param: param, reason: reason.hasPrefix(param + ": ") ? String(reason.dropFirst(param.count + 2)) : reason)
        }
    }
}
