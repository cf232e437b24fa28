import Foundation
import Hummingbird

extension CLIPService {
    /// The page's files, by name, with their media types: nothing else is served from the bundle.
    static let pageFiles: [String: String] = [
        "index.html": "text/html; charset=utf-8",
        "app.js": "text/javascript; charset=utf-8",
        "style.css": "text/css; charset=utf-8",
    ]

    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in try pageFile("index.html") }
        router.get("/page/{file}") { _, context in try pageFile(try context.parameters.require("file")) }
    }

    private func pageFile(_ name: String) throws -> Response {
        guard let type = Self.pageFiles[name] else { throw ServerError.notFound("no page file \(name)") }
        guard let url = Bundle.module.url(forResource: (name as NSString).deletingPathExtension, withExtension: (name as NSString).pathExtension,
                                          subdirectory: "page"),
              let data = try? Data(contentsOf: url) else {
            throw ServerError.internalFailure("the page file \(name) is missing from the build")
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache",
                                               .contentSecurityPolicy: "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
