import Foundation

/// `POST /v1/classify`: zero-shot classification of images into labels, as `clip classify` does.
public struct ClassifyRequest: Decodable, Sendable {
    /// Images, base64 or `data:` URLs.
    public var images: [String]
    /// The class names.
    public var labels: [String]
    /// Prompt templates with `{}` where the label goes, or the name of a built-in set: "default"
    /// (what `clip classify` uses unless told otherwise, and so the default here), "simple" or "chinese".
    public var templates: Templates
    /// How many labels to report per image (5 unless given).
    public var topK: Int
    /// The model's id; the first model when absent.
    public var model: String?

    /// Templates given as a list, or a built-in set's name.
    public enum Templates: Equatable, Sendable {
        /// These templates.
        case list([String])
        /// A built-in set.
        case named(String)
    }

    private enum Keys: String, CodingKey {
        case images, image, labels, templates, topK = "top_k", model
    }

    /// Decodes the request's JSON, accepting each field's documented forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let image = try container.decodeIfPresent(String.self, forKey: .image) {
            images = [image]
        } else {
            images = try container.decode([String].self, forKey: .images)
        }
        if let joined = try? container.decode(String.self, forKey: .labels) {
            labels = joined.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } else {
            labels = try container.decode([String].self, forKey: .labels)
        }
        if let name = try? container.decode(String.self, forKey: .templates) {
            templates = .named(name)
        } else {
            templates = try container.decodeIfPresent([String].self, forKey: .templates).map(Templates.list) ?? .named("default")
        }
        topK = try container.decodeIfPresent(Int.self, forKey: .topK) ?? 5
        model = try container.decodeIfPresent(String.self, forKey: .model)
    }
}

/// The response to `POST /v1/classify`.
struct ClassifyResponse: Encodable {
    struct Prediction: Encodable {
        let label: String
        let score: Float
    }

    struct Item: Encodable {
        let index: Int
        let predictions: [Prediction]
    }

    let object = "list"
    let data: [Item]
    let model: String
    /// "softmax" (scores over the labels sum to 1) or "sigmoid" (each label's own probability, SigLIP).
    let scoring: String
}
