import CLIPImage
import CLIPSearch
import Foundation
import Hummingbird

extension CLIPService {
    func addFileRoutes(to router: Router<BasicRequestContext>) {
        router.get("/images/{id}") { request, context in
            let file = try indexedFile(request, context).1
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw ServerError.notFound("file \(file.id) is indexed but cannot be read now; `clip index` again")
            }
            let type = ImageDecoder.format(of: data).map(Self.mediaType) ?? "application/octet-stream"
            return Response(status: .ok, headers: [.contentType: type, .cacheControl: "private, max-age=3600"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/thumbnails/{id}") { request, context in
            let (served, file) = try indexedFile(request, context)
            guard let hash = file.contentHash else { throw ServerError.notFound("file \(file.id) could not be indexed: \(file.failure ?? "unknown")") }
            let cache = ThumbnailCache(directory: configuration.thumbnailDirectory.appendingPathComponent(served.name))
            let data: Data
            do {
                data = try cache.thumbnail(of: file.path, contentHash: hash, maximumPixels: configuration.limits.maximumImagePixels)
            } catch {
                throw ServerError.notFound("file \(file.id) cannot be read now: \(error)")
            }
            return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=86400"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// The indexed file a request names by id (and `?index=` name).
    private func indexedFile(_ request: Request, _ context: BasicRequestContext) throws -> (ServedIndex, IndexFile) {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw ServerError.invalidField(param: "id", reason: "a file id from a search, not '\(text)'") }
        let served = try index(named: request.uri.queryParameters["index"].map(String.init))
        guard let file = try served.index.file(id: id) else { throw ServerError.notFound("index \(served.name) has no file \(id)") }
        return (served, file)
    }

    static func mediaType(_ format: ImageDecoder.Format) -> String {
        switch format {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        case .heif: "image/heif"
        }
    }
}
