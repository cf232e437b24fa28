import Foundation

/// One input to embed: a text, or an image as base64 or a `data:` URL.
public enum EmbeddingInput: Equatable, Sendable, Decodable {
    /// A text.
    case text(String)
    /// An image's bytes, base64 or a `data:` URL.
    case image(String)

    private enum Keys: String, CodingKey {
        case text, image
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self = .text(text)
            return
        }
        guard let object = try? decoder.container(keyedBy: Keys.self) else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath,
                                                                debugDescription: "expected a string or {\"text\": …} or {\"image\": …}"))
        }
        let text = try object.decodeIfPresent(String.self, forKey: .text)
        let image = try object.decodeIfPresent(String.self, forKey: .image)
        switch (text, image) {
        case let (text?, nil): self = .text(text)
        case let (nil, image?): self = .image(image)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "give exactly one of \"text\" and \"image\""))
        }
    }
}

/// `POST /v1/embeddings`, in OpenAI's shape.
public struct EmbeddingsRequest: Decodable, Sendable {
    /// How embeddings are written in the response.
    public enum EncodingFormat: String, Decodable, Sendable {
        /// JSON numbers.
        case float
        /// Base64 of the little-endian float32 bytes (what OpenAI's SDKs ask for by default).
        case base64
    }

    /// A string, a list of strings, or a list of `{"text"}` / `{"image"}` items.
    public var input: [EmbeddingInput]
    /// The model's id (`GET /v1/models`); the first model when absent.
    public var model: String?
    /// `float` unless given.
    public var encodingFormat: EncodingFormat
    /// Must equal the model's width when given (CLIP embeddings are not truncatable).
    public var dimensions: Int?

    private enum Keys: String, CodingKey {
        case input, model, encodingFormat = "encoding_format", dimensions, user
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let single = try? container.decode(String.self, forKey: .input) {
            input = [.text(single)]
        } else if (try? container.decode([Int].self, forKey: .input)) != nil || (try? container.decode([[Int]].self, forKey: .input)) != nil {
            throw DecodingError.dataCorrupted(.init(codingPath: [Keys.input], debugDescription: "token arrays are not accepted; send texts"))
        } else {
            input = try container.decode([EmbeddingInput].self, forKey: .input)
        }
        model = try container.decodeIfPresent(String.self, forKey: .model)
        encodingFormat = try container.decodeIfPresent(EncodingFormat.self, forKey: .encodingFormat) ?? .float
        dimensions = try container.decodeIfPresent(Int.self, forKey: .dimensions)
        _ = try container.decodeIfPresent(String.self, forKey: .user)
    }
}

/// The response to `POST /v1/embeddings`.
struct EmbeddingsResponse: Encodable {
    struct Item: Encodable {
        let object = "embedding"
        let index: Int
        let embedding: Embedding
    }

    /// Numbers, or base64 of little-endian float32.
    enum Embedding: Encodable {
        case float([Float])
        case base64(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .float(values): try container.encode(values)
            case let .base64(text): try container.encode(text)
            }
        }

        init(_ vector: [Float], format: EmbeddingsRequest.EncodingFormat) {
            switch format {
            case .float: self = .float(vector)
            case .base64:
                var bytes = Data(capacity: vector.count * 4)
                for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                self = .base64(bytes.base64EncodedString())
            }
        }
    }

    struct Usage: Encodable {
        let promptTokens: Int
        let totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", totalTokens = "total_tokens"
        }
    }

    let object = "list"
    let data: [Item]
    let model: String
    let usage: Usage
}

/// The response to `GET /v1/models`.
struct ModelList: Encodable {
    struct Entry: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let ownedBy = "swift-clip"

        enum CodingKeys: String, CodingKey {
            case id, object, created, ownedBy = "owned_by"
        }
    }

    let object = "list"
    let data: [Entry]
}
