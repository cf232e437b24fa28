import CLIPSearch
import Foundation
import Hummingbird

/// clip-retrieval's back end (`clip_back`): the routes its Python `ClipClient` and its front end call,
/// with its field names.
extension CLIPService {
    func addRetrievalRoutes(to router: Router<BasicRequestContext>) {
        router.get("/indices-list") { _, _ in try json(indexes.map(\.name)) }
        router.post("/knn-service") { request, _ in try await knn(request) }
        router.post("/metadata") { request, _ in try await metadata(request) }
    }

    /// The cosine above which clip-retrieval's `deduplicate` drops a result as a copy of a better one.
    static let retrievalDuplicateThreshold: Float = 0.94

    private func knn(_ request: Request) async throws -> Response {
        let body = try await decode(KnnRequest.self, from: request)
        let served = try index(named: body.indiceName)
        guard body.modality == "image" else {
            throw ServerError.invalidField(param: "modality", reason: "this server's indexes hold images; use \"image\"")
        }
        guard body.imageURL == nil else {
            throw ServerError.invalidField(param: "image_url", reason: "the server never fetches a URL a client names; send the image as base64 in \"image\"")
        }
        let wanted = body.numResultIds ?? body.numImages
        guard (1...configuration.limits.maximumResults).contains(body.numImages), (1...configuration.limits.maximumResults).contains(wanted) else {
            throw ServerError.invalidField(param: "num_images", reason: "must be 1…\(configuration.limits.maximumResults)")
        }
        let term: SearchTerm
        if let text = body.text, !text.isEmpty {
            term = SearchTerm(.text(text))
        } else if let image = body.image {
            term = SearchTerm(.image(image))
        } else if let embedding = body.embeddingInput {
            term = SearchTerm(.embedding(embedding))
        } else {
            throw ServerError.invalidField(param: "text", reason: "give text, image or embedding_input")
        }
        let vector = try await queryVector([term], template: nil, for: served)
        var hits = try await find(vector, in: served, top: wanted, threshold: -.infinity, under: nil, roots: [])
        if body.deduplicate { hits = try nearDuplicatesRemoved(hits, served) }
        let roots = try served.index.roots()
        let base = Self.baseURL(of: request)
        let results = hits.prefix(body.numImages).map { hit in
            RetrievalResult(id: hit.id, similarity: hit.score, metadata: .init(hit.id, path: served.relativePath(hit.path, roots: roots), index: served.name, base: base))
        }
        return try json(results)
    }

    /// `hits` without those whose stored vectors are within the duplicate threshold of a better one
    /// (clip-retrieval keeps the first of each connected group; so does this, in score order).
    private func nearDuplicatesRemoved(_ hits: [ImageIndex.Hit], _ served: ServedIndex) throws -> [ImageIndex.Hit] {
        let vectors = try served.index.vectors(rows: hits.map(\.row), in: served.entry)
        var kept: [Int] = []
        for candidate in hits.indices {
            let duplicate = kept.contains { other in
                zip(vectors[candidate], vectors[other]).reduce(0) { $0 + $1.0 * $1.1 } >= Self.retrievalDuplicateThreshold
            }
            if !duplicate { kept.append(candidate) }
        }
        return kept.map { hits[$0] }
    }

    private func metadata(_ request: Request) async throws -> Response {
        let body = try await decode(MetadataRequest.self, from: request)
        let served = try index(named: body.indiceName)
        guard body.ids.count <= configuration.limits.maximumResults else {
            throw ServerError.invalidField(param: "ids", reason: "at most \(configuration.limits.maximumResults) ids")
        }
        let roots = try served.index.roots()
        let base = Self.baseURL(of: request)
        let entries = try body.ids.map { id -> MetadataEntry in
            let file = try served.index.file(id: id)
            return MetadataEntry(id: id, metadata: file.map { .init(id, path: served.relativePath($0.path, roots: roots), index: served.name, base: base) })
        }
        return try json(entries)
    }

    /// `scheme://host` the client reached, for absolute image URLs (clip-retrieval's front end shows
    /// `url` as it is); the proxy's `X-Forwarded-Proto` and `X-Forwarded-Host` when behind one.
    static func baseURL(of request: Request) -> String {
        func header(_ name: String) -> String? { request.headers.first { $0.name.canonicalName == name }?.value }
        let forwardedHost = header("x-forwarded-host"), forwardedScheme = header("x-forwarded-proto")
        guard let host = forwardedHost ?? request.head.authority else { return "" }
        return "\(forwardedScheme ?? "http")://\(host)"
    }
}

/// A file's metadata as clip-retrieval returns it (`url`, `caption`), plus its path and id.
struct RetrievalMetadata: Encodable {
    let url: String
    let caption: String
    let path: String
    let id: Int64

    init(_ id: Int64, path: String, index: String, base: String) {
        let query = index.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? index
        url = "\(base)/images/\(id)?index=\(query)"
        caption = path
        self.path = path
        self.id = id
    }
}

/// One `/knn-service` result: the metadata's fields at the top level beside `id` and `similarity`.
struct RetrievalResult: Encodable {
    let id: Int64
    let similarity: Float
    let metadata: RetrievalMetadata

    enum Keys: String, CodingKey {
        case id, similarity, url, caption, path
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode(similarity, forKey: .similarity)
        try container.encode(metadata.url, forKey: .url)
        try container.encode(metadata.caption, forKey: .caption)
        try container.encode(metadata.path, forKey: .path)
    }
}

/// One `/metadata` entry: `{"id", "metadata": {…}}`, metadata null for an unknown id.
struct MetadataEntry: Encodable {
    let id: Int64
    let metadata: RetrievalMetadata?

    enum Keys: String, CodingKey {
        case id, metadata
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        if let metadata { try container.encode(metadata, forKey: .metadata) } else { try container.encodeNil(forKey: .metadata) }
    }
}
