import CLIPTokenizer
import Foundation

/// Prompt templates for zero-shot classification: texts with `{}` where the class name goes.
public struct PromptTemplates: Sendable, Equatable {
    /// A name for reports (`default`, `simple`, or the file).
    public let name: String
    /// Templates with `{}` where the class name goes.
    public let templates: [String]

    /// Checks that there is at least one template and each has a `{}` placeholder.
    public init(name: String, templates: [String]) throws {
        guard !templates.isEmpty else { throw ZeroShotError.invalidTemplates(source: name, reason: "no templates") }
        if let bad = templates.firstIndex(where: { !$0.contains("{}") }) {
            throw ZeroShotError.invalidTemplates(source: name, reason: "template \(bad + 1) has no {} placeholder: \"\(templates[bad])\"")
        }
        self.name = name
        self.templates = templates
    }

    /// A built-in set, written in this file with a `{}` in every template (checked by a test).
    private init(builtIn name: String, templates: [String]) {
        self.name = name
        self.templates = templates
    }

    /// The class name put in every template (`template.format(name)` in the reference).
    public func prompts(for className: String) -> [String] {
        templates.map { $0.replacingOccurrences(of: "{}", with: className) }
    }

    /// The single prompt `a photo of a {}.`.
    public static let simple = PromptTemplates(builtIn: "simple", templates: ["a photo of a {}."])

    /// swift-clip's own ensemble: photographs of several qualities and framings, drawings and
    /// renderings, close-ups and crops, written for this project.
    public static let standard = PromptTemplates(builtIn: "default", templates: [
        "a photo of a {}.",
        "a photo of the {}.",
        "a close-up photo of a {}.",
        "a blurry photo of a {}.",
        "a dark photo of a {}.",
        "a bright photo of the {}.",
        "a cropped photo of a {}.",
        "a low resolution photo of a {}.",
        "a good photo of the {}.",
        "a photo of a small {}.",
        "a photo of a large {}.",
        "a photo of one {}.",
        "a picture of a {}.",
        "an image showing a {}.",
        "a snapshot of the {}.",
        "a drawing of a {}.",
        "a sketch of the {}.",
        "a painting of a {}.",
        "a cartoon {}.",
        "a rendering of a {}.",
        "a black and white photo of a {}.",
        "a pixelated photo of the {}.",
        "a {} in a photo.",
        "itap of a {}.",
    ])

    /// Chinese prompts for Chinese-CLIP (photographs, pictures, close-ups, drawings), written for
    /// this project.
    public static let chinese = PromptTemplates(builtIn: "chinese", templates: [
        "{}的照片。",
        "一张{}的照片。",
        "一张{}的图片。",
        "这是{}。",
        "一张清晰的{}的照片。",
        "一张模糊的{}的照片。",
        "{}的特写照片。",
        "一幅{}的画。",
    ])

    /// The names of the built-in sets.
    public static let builtInNames = ["default", "simple", "chinese"]

    /// `default`, `simple`, `chinese`, or a file: a JSON list of strings, a JSON object with a
    /// `templates` list (as ../shared/reference/prompts), or one template per line (blank lines and
    /// `#` comments skipped).
    public static func named(_ text: String) throws -> PromptTemplates {
        switch text {
        case "default": return .standard
        case "simple": return .simple
        case "chinese": return .chinese
        default: return try load(path: text)
        }
    }

    /// Templates from a file: a JSON list, `{"templates": […]}`, or one per line.
    public static func load(path: String) throws -> PromptTemplates {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZeroShotError.invalidTemplates(source: path, reason: "cannot read the file (use default, simple or a file of templates)")
        }
        let text = try TextInput.decodeUTF8(data, source: path)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") {
            let object = try? JSONSerialization.jsonObject(with: data)
            let list = (object as? [Any]) ?? ((object as? [String: Any])?["templates"] as? [Any])
            guard let templates = list?.compactMap({ $0 as? String }), templates.count == list?.count else {
                throw ZeroShotError.invalidTemplates(source: path, reason: "JSON must be a list of strings or an object with a \"templates\" list")
            }
            return try PromptTemplates(name: path, templates: templates)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        return try PromptTemplates(name: path, templates: lines)
    }
}

/// Errors from building or using a zero-shot classifier.
public enum ZeroShotError: Error, Equatable, CustomStringConvertible {
    case invalidTemplates(source: String, reason: String)
    case invalidClassNames(reason: String)
    case featureSizeMismatch(expected: Int, found: Int)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .invalidTemplates(source, reason): return "templates \(source): \(reason)"
        case let .invalidClassNames(reason): return "class names: \(reason)"
        case let .featureSizeMismatch(expected, found): return "image features of width \(found) do not fit a classifier of width \(expected)"
        }
    }
}
