import Foundation
import Hummingbird

/// Why a request failed, with the HTTP status and OpenAI's error body
/// (`{"error": {"message", "type", "param", "code"}}`) it is answered with.
public enum ServerError: Error, Equatable, CustomStringConvertible {
    /// The body is not JSON, or not the JSON this route takes.
    case malformedBody(String)
    /// A field is missing, of the wrong type, or out of range.
    case invalidField(param: String, reason: String)
    /// An image could not be decoded, or is too large.
    case unusableImage(param: String, reason: String)
    /// The body is larger than the server accepts.
    case bodyTooLarge(limit: Int)
    /// No or the wrong API key.
    case unauthorized
    /// No such model, index or file.
    case notFound(String)
    /// The route exists but not for this method.
    case methodNotAllowed
    /// The inference queue is full: try again after a moment.
    case overloaded(queued: Int)
    /// The request waited longer than the server's timeout.
    case timedOut
    /// The server is stopping.
    case shuttingDown
    /// Something failed on the server's side.
    case internalFailure(String)

    /// The HTTP status the error is answered with.
    public var status: HTTPResponse.Status {
        switch self {
        case .malformedBody: .badRequest
        case .invalidField, .unusableImage: .unprocessableContent
        case .bodyTooLarge: .contentTooLarge
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .overloaded, .shuttingDown: .serviceUnavailable
        case .timedOut: .gatewayTimeout
        case .internalFailure: .internalServerError
        }
    }

    /// OpenAI's error `type`.
    public var type: String {
        switch self {
        case .malformedBody, .invalidField, .unusableImage, .bodyTooLarge, .notFound, .methodNotAllowed: "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .overloaded, .shuttingDown, .timedOut: "server_overloaded"
        case .internalFailure: "server_error"
        }
    }

    /// The request field at fault, if one is.
    public var param: String? {
        switch self {
        case let .invalidField(param, _), let .unusableImage(param, _): param
        default: nil
        }
    }

    /// A short machine-readable code.
    public var code: String? {
        switch self {
        case .unauthorized: "invalid_api_key"
        case .notFound: "not_found"
        case .bodyTooLarge: "body_too_large"
        case .unusableImage: "invalid_image"
        case .overloaded: "queue_full"
        case .timedOut: "timeout"
        default: nil
        }
    }

    /// The error's message, as the response's `message` says it.
    public var description: String {
        switch self {
        case let .malformedBody(reason): "malformed request body: \(reason)"
        case let .invalidField(param, reason): "\(param): \(reason)"
        case let .unusableImage(param, reason): "\(param): the image cannot be used: \(reason)"
        case let .bodyTooLarge(limit): "the request body is larger than \(limit) bytes"
        case .unauthorized: "missing or wrong API key: send `Authorization: Bearer <key>`"
        case let .notFound(what): what
        case .methodNotAllowed: "this route does not take that method"
        case let .overloaded(queued): "the server is busy (\(queued) inputs queued); retry shortly"
        case .timedOut: "the request waited longer than the server's timeout"
        case .shuttingDown: "the server is shutting down"
        case let .internalFailure(reason): "internal error: \(reason)"
        }
    }

    /// OpenAI's error body.
    struct Body: Codable {
        struct Detail: Codable {
            let message: String
            let type: String
            let param: String?
            let code: String?
        }

        let error: Detail
    }

    var body: Body {
        Body(error: .init(message: description, type: type, param: param, code: code))
    }
}

extension ServerError: HTTPResponseError {
    /// Seconds a client should wait before retrying an overloaded server.
    static let retryAfterSeconds = 1

    /// `Retry-After` for a full queue, `WWW-Authenticate` for a missing key.
    public var headers: HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if case .overloaded = self { fields[.retryAfter] = String(Self.retryAfterSeconds) }
        if case .shuttingDown = self { fields[.retryAfter] = String(Self.retryAfterSeconds) }
        if case .unauthorized = self { fields[.wwwAuthenticate] = "Bearer" }
        return fields
    }

    /// The response: the status, the headers above and OpenAI's error body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(body)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
