import Foundation

/// One term of a search query: a text, an image, a raw embedding or an indexed file, with a weight
/// (negative to subtract it), as in `clip search "a dog" + 2:beach.jpg - grass`.
public struct SearchTerm: Equatable, Sendable, Decodable {
    /// What the term is.
    public enum Subject: Equatable, Sendable {
        /// A text (put into the request's template first).
        case text(String)
        /// An image, base64 or a `data:` URL.
        case image(String)
        /// A vector in the model's embedding space (normalised before use).
        case embedding([Float])
        /// The stored vector of an indexed file, by its id ("more like this").
        case indexed(Int64)
    }

    /// The term.
    public var subject: Subject
    /// Its weight in the sum (1 unless given).
    public var weight: Float

    private enum Keys: String, CodingKey {
        case text, image, embedding, id, weight
    }

    /// A term of weight `weight`.
    public init(_ subject: Subject, weight: Float = 1) {
        self.subject = subject
        self.weight = weight
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.init(.text(text))
            return
        }
        let container = try decoder.container(keyedBy: Keys.self)
        let text = try container.decodeIfPresent(String.self, forKey: .text)
        let image = try container.decodeIfPresent(String.self, forKey: .image)
        let embedding = try container.decodeIfPresent([Float].self, forKey: .embedding)
        let id = try container.decodeIfPresent(Int64.self, forKey: .id)
        let weight = try container.decodeIfPresent(Float.self, forKey: .weight) ?? 1
        guard weight.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [Keys.weight], debugDescription: "must be a finite number"))
        }
        switch (text, image, embedding, id) {
        case let (text?, nil, nil, nil): self.init(.text(text), weight: weight)
        case let (nil, image?, nil, nil): self.init(.image(image), weight: weight)
        case let (nil, nil, embedding?, nil): self.init(.embedding(embedding), weight: weight)
        case let (nil, nil, nil, id?): self.init(.indexed(id), weight: weight)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "give exactly one of \"text\", \"image\", \"embedding\" and \"id\""))
        }
    }
}

/// `POST /v1/search`: the indexed images closest to a query.
public struct SearchRequest: Decodable, Sendable {
    /// The index's name (`GET /info`); the first index when absent.
    public var index: String?
    /// The query's terms: a text, or a list of terms.
    public var query: [SearchTerm]
    /// Results wanted (10 unless given).
    public var topK: Int
    /// Results scoring below this cosine similarity are left out.
    public var threshold: Float?
    /// Only files below this folder, relative to the indexed folder.
    public var under: String?
    /// A prompt template for text terms, with `{}` where the text goes.
    public var template: String?

    private enum Keys: String, CodingKey {
        case index, query, topK = "top_k", threshold, under, template
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        index = try container.decodeIfPresent(String.self, forKey: .index)
        if let text = try? container.decode(String.self, forKey: .query) {
            query = [SearchTerm(.text(text))]
        } else if let term = try? container.decode(SearchTerm.self, forKey: .query) {
            query = [term]
        } else {
            query = try container.decode([SearchTerm].self, forKey: .query)
        }
        topK = try container.decodeIfPresent(Int.self, forKey: .topK) ?? 10
        threshold = try container.decodeIfPresent(Float.self, forKey: .threshold)
        under = try container.decodeIfPresent(String.self, forKey: .under)
        template = try container.decodeIfPresent(String.self, forKey: .template)
    }
}

/// `POST /v1/duplicates`: groups of identical and near-identical images in an index.
public struct DuplicatesRequest: Decodable, Sendable {
    /// The index's name; the first index when absent.
    public var index: String?
    /// The cosine similarity from which two images are near-duplicates (0.95 unless given).
    public var threshold: Float

    private enum Keys: String, CodingKey {
        case index, threshold
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        index = try container.decodeIfPresent(String.self, forKey: .index)
        threshold = try container.decodeIfPresent(Float.self, forKey: .threshold) ?? 0.95
    }
}

/// The response to `POST /v1/duplicates`.
struct DuplicatesResponse: Encodable {
    struct File: Encodable {
        let id: Int64
        let path: String
        let size: Int
        let width: Int?
        let height: Int?
        let similarity: Float
    }

    struct Group: Encodable {
        let kind: String
        let files: [File]
    }

    let object = "list"
    let index: String
    let data: [Group]
}

/// The response to `POST /v1/search`.
struct SearchResponse: Encodable {
    struct Item: Encodable {
        let rank: Int
        let id: Int64
        let path: String
        let score: Float
    }

    let object = "list"
    let index: String
    let model: String
    let data: [Item]
}

/// clip-retrieval's `POST /knn-service` request, with its field names.
public struct KnnRequest: Decodable, Sendable {
    /// A text query.
    public var text: String?
    /// A base64 image query.
    public var image: String?
    /// An image URL (refused: the server never fetches what a client names).
    public var imageURL: String?
    /// A query vector.
    public var embeddingInput: [Float]?
    /// "image" (the index holds images) or "text" (no text index here: refused).
    public var modality: String
    /// Results returned with metadata.
    public var numImages: Int
    /// Results searched for before deduplication (`numImages` unless given).
    public var numResultIds: Int?
    /// The index's name.
    public var indiceName: String?
    /// Drop results whose embeddings are near-duplicates of a better one.
    public var deduplicate: Bool

    private enum Keys: String, CodingKey {
        case text, image, imageURL = "image_url", embeddingInput = "embedding_input", modality, numImages = "num_images",
             numResultIds = "num_result_ids", indiceName = "indice_name", deduplicate
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        image = try container.decodeIfPresent(String.self, forKey: .image)
        imageURL = try container.decodeIfPresent(String.self, forKey: .imageURL)
        embeddingInput = try container.decodeIfPresent([Float].self, forKey: .embeddingInput)
        modality = try container.decodeIfPresent(String.self, forKey: .modality) ?? "image"
        numImages = try container.decode(Int.self, forKey: .numImages)
        numResultIds = try container.decodeIfPresent(Int.self, forKey: .numResultIds)
        indiceName = try container.decodeIfPresent(String.self, forKey: .indiceName)
        deduplicate = try container.decodeIfPresent(Bool.self, forKey: .deduplicate) ?? false
    }
}

/// clip-retrieval's `POST /metadata` request.
public struct MetadataRequest: Decodable, Sendable {
    /// Ids from `/knn-service`.
    public var ids: [Int64]
    /// The index's name.
    public var indiceName: String?

    private enum Keys: String, CodingKey {
        case ids, indiceName = "indice_name"
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        ids = try container.decode([Int64].self, forKey: .ids)
        indiceName = try container.decodeIfPresent(String.self, forKey: .indiceName)
    }
}
