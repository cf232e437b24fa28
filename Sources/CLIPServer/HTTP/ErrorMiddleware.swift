import Foundation
import Hummingbird
import Logging
import NIOCore

/// Answers every error in OpenAI's error shape: `ServerError`s as they are, Hummingbird's own
/// (unknown route, body too large) by their status, anything else as a 500 that is logged.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The body limit a 413 names.
    let bodyLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            return try error.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try ServerError.bodyTooLarge(limit: bodyLimit).response(from: request, context: context)
        } catch let error as HTTPError {
            let converted: ServerError = switch error.status {
            case .notFound: .notFound("no route \(request.method) \(request.uri.path)")
            case .methodNotAllowed: .methodNotAllowed
            case .contentTooLarge: .bodyTooLarge(limit: bodyLimit)
            case .badRequest: .malformedBody(error.body ?? "bad request")
            default: .internalFailure(error.body ?? "\(error.status)")
            }
            return try converted.response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try ServerError.internalFailure(String(describing: error)).response(from: request, context: context)
        }
    }
}
