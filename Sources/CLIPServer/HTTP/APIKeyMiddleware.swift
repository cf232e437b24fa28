import Hummingbird

/// Requires `Authorization: Bearer <key>` on every route but `/health` and the page's own files,
/// comparing keys in time that does not depend on where they differ.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: [UInt8]

    init(key: String) {
        self.key = Array(key.utf8)
    }

    /// Paths anyone may fetch: the health check and the page (which asks for the key itself).
    static func isOpen(_ path: String) -> Bool {
        path == "/health" || path == "/" || path.hasPrefix("/page/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isOpen(request.uri.path) || request.method == .options || authorised(request) else { throw ServerError.unauthorized }
        return try await next(request, context)
    }

    private func authorised(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return Self.constantTimeEqual(Array(header.utf8.dropFirst(7)), key)
    }

    /// Whether `a` equals `b`, looking at every byte of the longer whatever the contents.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count) | UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
