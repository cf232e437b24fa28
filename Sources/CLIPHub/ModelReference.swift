import Foundation

/// One entry of open_clip's pretrained registry: `architecture:tag` names weights in a Hub repository.
public struct PretrainedTag: Sendable, Equatable {
    /// The open_clip architecture (`ViT-B-32`).
    public let architecture: String
    /// The pretrained tag (`openai`, `laion2b_s34b_b79k`).
    public let tag: String
    /// The Hub repository holding the weights.
    public let repository: String
    /// open_clip builds these weights with QuickGELU (OpenAI's models and some early LAION runs),
    /// whatever the repository's own configuration says.
    public let quickGELU: Bool

    /// The entry for `architecture:tag`; tags compare as open_clip compares them (case and `-`/`_`
    /// ignored).
    public static func find(architecture: String, tag: String) throws -> PretrainedTag {
        func clean(_ text: String) -> String { text.lowercased().replacingOccurrences(of: "-", with: "_") }
        if let entry = all.first(where: { $0.architecture == architecture && clean($0.tag) == clean(tag) }) { return entry }
        let sameArchitecture = all.filter { $0.architecture == architecture }
        let known = sameArchitecture.isEmpty ? Array(Set(all.map(\.architecture))).sorted().map { "\($0):…" }
                                             : sameArchitecture.map { "\($0.architecture):\($0.tag)" }
        throw HubError.unknownPretrainedTag("\(architecture):\(tag)", known: known)
    }
}

/// What a `--model` argument names.
public enum ModelReference: Sendable, Equatable, CustomStringConvertible {
    /// A model directory or weights file on disk.
    case local(path: String)
    /// A Hub repository `owner/name`, at a branch, tag or commit (`main` when nil).
    case hub(repository: String, revision: String?)
    /// An open_clip pretrained tag such as `ViT-B-32:openai`.
    case pretrained(PretrainedTag)

    /// Reads `text`: an existing path wins; then `hf-hub:owner/name` or `owner/name[@revision]`;
    /// then `ARCH:TAG`. Anything else is a local path that does not exist, reported as such.
    public static func parse(_ text: String, fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws -> ModelReference {
        guard !text.isEmpty else { throw HubError.invalidReference(text, reason: "empty") }
        if fileExists(text) { return .local(path: text) }
        var body = Substring(text)
        let explicitHub = body.hasPrefix("hf-hub:")
        if explicitHub { body = body.dropFirst("hf-hub:".count) }
        let (repositoryPart, revision) = splitRevision(body)
        if isRepositoryID(repositoryPart) {
            if let revision, revision.isEmpty || revision.contains("..") {
                throw HubError.invalidReference(text, reason: "the revision after '@' is empty or invalid")
            }
            return .hub(repository: String(repositoryPart), revision: revision)
        }
        if explicitHub {
            throw HubError.invalidReference(text, reason: "a Hub repository id is owner/name (letters, digits, '-', '_', '.')")
        }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        if pieces.count == 2, !text.contains("/"), !pieces[0].isEmpty, !pieces[1].isEmpty {
            return .pretrained(try PretrainedTag.find(architecture: String(pieces[0]), tag: String(pieces[1])))
        }
        return .local(path: text)
    }

    /// The reference as a user writes it.
    public var description: String {
        switch self {
        case let .local(path): return path
        case let .hub(repository, revision): return revision.map { "\(repository)@\($0)" } ?? repository
        case let .pretrained(entry): return "\(entry.architecture):\(entry.tag)"
        }
    }

    private static func splitRevision(_ text: Substring) -> (Substring, String?) {
        guard let at = text.firstIndex(of: "@") else { return (text, nil) }
        return (text[..<at], String(text[text.index(after: at)...]))
    }

    /// The Hub's rule for repository ids: `owner/name`, each of letters, digits, `-`, `_`, `.`, not
    /// starting or ending with `-` or `.`, no `--` or `..`, at most 96 characters.
    static func isRepositoryID(_ text: Substring) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, text.count <= 96 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.first, let last = part.last, !part.isEmpty else { return false }
            let allowed = part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            return allowed && !"-.".contains(first) && !"-.".contains(last) && !part.contains("--") && !part.contains("..")
        }
    }
}
