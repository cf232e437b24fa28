import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The server's OpenAPI document (`Sources/CLIPServer/Resources/openapi.json`) and a checker of
/// responses against it: the path and method are documented, the status is one the operation
/// lists, and a JSON body matches the schema (the subset of JSON Schema the document uses: $ref,
/// type, nullable, required, properties, additionalProperties false, items, enum, oneOf, allOf,
/// minimum, maximum, minItems). Unchecked `Sendable`: the parsed document is never changed.
struct OpenAPIDocument: @unchecked Sendable {
    let root: [String: Any]

    static let shared: OpenAPIDocument = {
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CLIPServer/Resources/openapi.json")
        let data = try! Data(contentsOf: url)
        return OpenAPIDocument(root: try! JSONSerialization.jsonObject(with: data) as! [String: Any])
    }()

    var paths: [String: [String: Any]] { root["paths"] as? [String: [String: Any]] ?? [:] }

    /// The documented path template matching a concrete path (`/images/3` → `/images/{id}`).
    func template(for path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return paths.keys.first { template in
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
    }

    /// What is wrong with this response by the document, or nil.
    func problem(method: HTTPRequest.Method, uri: String, status: Int, contentType: String?, body: Data) -> String? {
        if method == .options { return nil }   // CORS preflight: HTTP's, not the API's
        let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        guard let template = template(for: path) else {
            return status == 404 ? nil : "\(path) is not documented"
        }
        guard let operation = paths[template]?[method.rawValue.lowercased()] as? [String: Any],
              let responses = operation["responses"] as? [String: Any] else {
            return status == 404 || status == 405 ? nil : "\(method) \(template) is not documented"
        }
        guard let response = resolve(responses[String(status)]) as? [String: Any] else {
            return "\(method) \(template) answered \(status), which the document does not list"
        }
        guard let content = response["content"] as? [String: Any] else { return nil }
        let type = contentType?.split(separator: ";").first.map(String.init) ?? ""
        guard let schemaHolder = (content[type] ?? content.first { $0.key.hasSuffix("/*") && type.hasPrefix($0.key.dropLast()) }?.value) as? [String: Any] else {
            return "\(method) \(template) \(status): content type \(type) is not among \(content.keys.sorted())"
        }
        guard type == "application/json", let schema = schemaHolder["schema"] else { return nil }
        guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return "\(method) \(template) \(status): the body is not JSON"
        }
        return validate(value, schema, at: "body").map { "\(method) \(template) \(status): \($0)" }
    }

    private func resolve(_ value: Any?) -> Any? {
        guard let object = value as? [String: Any], let reference = object["$ref"] as? String else { return value }
        var current: Any? = root
        for key in reference.dropFirst(2).split(separator: "/") { current = (current as? [String: Any])?[String(key)] }
        return resolve(current)
    }

    /// What in `value` breaks `schema`, or nil.
    func validate(_ value: Any, _ schemaValue: Any, at location: String) -> String? {
        guard let schema = resolve(schemaValue) as? [String: Any] else { return "\(location): unreadable schema" }
        if value is NSNull { return schema["nullable"] as? Bool == true ? nil : "\(location) is null" }
        if let all = schema["allOf"] as? [Any] {
            for part in all { if let problem = validate(value, part, at: location) { return problem } }
        }
        if let choices = schema["oneOf"] as? [Any] {
            let matching = choices.filter { validate(value, $0, at: location) == nil }.count
            if matching != 1 { return "\(location) matches \(matching) of oneOf's \(choices.count) schemas" }
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { "\($0)" == "\(value)" }) {
            return "\(location) is \(value), not one of \(options)"
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return "\(location) is not an object" }
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { return "\(location).\(key) is missing" }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            if schema["additionalProperties"] as? Bool == false, let extra = object.keys.first(where: { properties[$0] == nil }) {
                return "\(location).\(extra) is not allowed"
            }
            for (key, child) in object {
                if let property = properties[key], let problem = validate(child, property, at: "\(location).\(key)") { return problem }
            }
        case "array":
            guard let array = value as? [Any] else { return "\(location) is not an array" }
            if let minimum = schema["minItems"] as? Int, array.count < minimum { return "\(location) has fewer than \(minimum) items" }
            if let items = schema["items"] {
                for (index, item) in array.enumerated() { if let problem = validate(item, items, at: "\(location)[\(index)]") { return problem } }
            }
        case "string":
            guard value is String else { return "\(location) is not a string" }
        case "integer":
            guard let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue else { return "\(location) is not an integer" }
            if let minimum = schema["minimum"] as? Double, number.doubleValue < minimum { return "\(location) is below \(minimum)" }
        case "number":
            guard let number = value as? NSNumber else { return "\(location) is not a number" }
            if let minimum = schema["minimum"] as? Double, number.doubleValue < minimum { return "\(location) is below \(minimum)" }
            if let maximum = schema["maximum"] as? Double, number.doubleValue > maximum { return "\(location) is above \(maximum)" }
        case "boolean":
            guard value is Bool else { return "\(location) is not true or false" }
        default:
            break
        }
        return nil
    }
}

/// A test client that holds every response against the OpenAPI document, recording an issue for
/// each that breaks it: every route test is also a conformance test.
struct ConformingClient: TestClientProtocol {
    let client: any TestClientProtocol

    var port: Int? { client.port }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
        let problem = OpenAPIDocument.shared.problem(method: method, uri: uri, status: Int(response.status.code),
                                                     contentType: response.headers[.contentType], body: Data(buffer: response.body))
        #expect(problem == nil, "OpenAPI: \(problem ?? "")")
        return response
    }
}
