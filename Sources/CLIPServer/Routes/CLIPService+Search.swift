import CLIPSearch
import Foundation
import Hummingbird

extension CLIPService {
    func addSearchRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/search") { request, _ in try await search(request) }
        router.post("/v1/duplicates") { request, _ in try await duplicates(request) }
    }

    private func duplicates(_ request: Request) async throws -> Response {
        let body = try await decode(DuplicatesRequest.self, from: request)
        let served = try index(named: body.index)
        guard body.threshold.isFinite, (0...1).contains(body.threshold) else {
            throw ServerError.invalidField(param: "threshold", reason: "must be 0…1")
        }
        let groups = try served.index.duplicates(in: served.entry, threshold: body.threshold)
        let roots = try served.index.roots()
        let data = groups.map { group in
            DuplicatesResponse.Group(kind: group.kind.rawValue, files: group.files.map { file in
                DuplicatesResponse.File(id: file.id, path: served.relativePath(file.path, roots: roots),
                                        size: file.size, width: file.pixelSize?.width, height: file.pixelSize?.height, similarity: file.similarity)
            })
        }
        return try json(DuplicatesResponse(index: served.name, data: data))
    }

    private func search(_ request: Request) async throws -> Response {
        let body = try await decode(SearchRequest.self, from: request)
        let served = try index(named: body.index)
        guard (1...configuration.limits.maximumResults).contains(body.topK) else {
            throw ServerError.invalidField(param: "top_k", reason: "must be 1…\(configuration.limits.maximumResults)")
        }
        if let threshold = body.threshold, !(threshold.isFinite && (-1...1).contains(threshold)) {
            throw ServerError.invalidField(param: "threshold", reason: "must be -1…1")
        }
        if let template = body.template, !template.contains("{}") {
            throw ServerError.invalidField(param: "template", reason: "must contain {} where the text goes")
        }
        let vector = try await queryVector(body.query, template: body.template, for: served)
        let roots = try served.index.roots()
        let hits = try await find(vector, in: served, top: body.topK, threshold: body.threshold ?? -.infinity, under: body.under, roots: roots)
        let items = hits.enumerated().map { rank, hit in
            SearchResponse.Item(rank: rank + 1, id: hit.id, path: served.relativePath(hit.path, roots: roots), score: hit.score)
        }
        return try json(SearchResponse(index: served.name, model: served.model.id, data: items))
    }

    /// The unit query vector of `terms`: texts (through `template`) and images encoded by the
    /// index's model in one engine request, embeddings taken as they are; the weighted sum normalised.
    func queryVector(_ terms: [SearchTerm], template: String?, for served: ServedIndex) async throws -> [Float] {
        guard !terms.isEmpty else { throw ServerError.invalidField(param: "query", reason: "give at least one term") }
        guard terms.count <= 64 else { throw ServerError.invalidField(param: "query", reason: "at most 64 terms") }
        let model = served.model
        var inputs: [InferenceEngine.Input] = []
        for (index, term) in terms.enumerated() {
            switch term.subject {
            case let .text(text):
                try checkText(text, param: "query[\(index)].text")
                inputs.append(.text(template.map { $0.replacingOccurrences(of: "{}", with: text) } ?? text))
            case let .image(payload):
                inputs.append(.pixels(try pixels(payload, param: "query[\(index)].image", for: model)))
            case let .embedding(vector):
                guard vector.count == model.width else {
                    throw ServerError.invalidField(param: "query[\(index)].embedding", reason: "\(vector.count) numbers; the model's embeddings have \(model.width)")
                }
            case .indexed: break
            }
        }
        var encoded = try await model.engine.embed(inputs).vectors.makeIterator()
        let weighted = try terms.enumerated().map { index, term -> (weight: Float, embedding: [Float]) in
            switch term.subject {
            case let .embedding(vector): return (term.weight, vector)
            case let .indexed(id): return (term.weight, try storedVector(of: id, in: served, param: "query[\(index)].id"))
            case .text, .image: return (term.weight, encoded.next()!)
            }
        }
        do {
            return try SearchQuery.combine(weighted)
        } catch let error as SearchError {
            throw ServerError.invalidField(param: "query", reason: error.description)
        }
    }

    /// The vector the index holds for file `id`.
    private func storedVector(of id: Int64, in served: ServedIndex, param: String) throws -> [Float] {
        do {
            guard let vector = try served.index.vector(ofFile: id, in: served.entry) else { throw ServerError.notFound("index \(served.name) has no file \(id)") }
            return vector
        } catch let SearchError.invalidQuery(reason) {
            throw ServerError.invalidField(param: param, reason: reason)
        }
    }

    /// The index's best `top` files for `vector`; `under` (relative to the indexed folders) limits
    /// them to a folder below each indexed folder.
    func find(_ vector: [Float], in served: ServedIndex, top: Int, threshold: Float, under: String?, roots: [String]) async throws -> [ImageIndex.Hit] {
        var folders: [String?] = [nil]
        if let under {
            let relative = under.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard !relative.split(separator: "/").contains("..") else {
                throw ServerError.invalidField(param: "under", reason: "a folder below the indexed folders, without ..")
            }
            folders = roots.map { relative.isEmpty ? $0 : ($0 as NSString).appendingPathComponent(relative) }
            if folders.isEmpty { return [] }
        }
        var hits: [ImageIndex.Hit] = []
        for folder in folders {
            hits += try served.index.search(vector, in: served.entry, top: top, threshold: threshold, under: folder)
        }
        return Array(hits.sorted { $0.score > $1.score || ($0.score == $1.score && $0.path < $1.path) }.prefix(top))
    }
}
