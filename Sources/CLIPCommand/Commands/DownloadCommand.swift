import ArgumentParser
import CLIPHub
import Foundation

/// `clip download`: fetch a model into the Hub cache without running it.
struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a model from the Hugging Face Hub into the shared cache and print its local folder.",
        discussion: """
        REF is owner/name[@revision] or an open_clip tag ARCH:TAG. The cache is huggingface_hub's \
        ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), so Python tools and swift-clip \
        share downloads. HF_ENDPOINT selects another Hub, HF_TOKEN authenticates, HF_HUB_OFFLINE=1 uses the \
        cache only. Interrupted downloads resume; every file is checked against the Hub's checksum.
        """)

    @Argument(help: "The model: owner/name[@revision] or ARCH:TAG.")
    var reference: String?

    @Flag(help: "List the built-in open_clip pretrained tags and their repositories instead.")
    var listTags = false

    @OptionGroup var report: ReportOptions

    /// Where a model was put.
    struct DownloadReport: Report {
        let reference: String
        let path: String

        var text: String { path }
    }

    /// The built-in pretrained tags.
    struct TagsReport: Report {
        struct Tag: Encodable {
            let architecture: String
            let tag: String
            let repository: String
            let quickGELU: Bool

            enum CodingKeys: String, CodingKey {
                case architecture, tag, repository
                case quickGELU = "quick_gelu"
            }
        }

        let tags: [Tag]

        var text: String {
            tags.map { "\($0.architecture):\($0.tag)\t\($0.repository)" + ($0.quickGELU ? "\tquickgelu" : "") }.joined(separator: "\n")
        }
    }

    func validate() throws {
        if reference == nil && !listTags { throw ValidationError("give a model reference, or --list-tags") }
    }

    func run() throws {
        if listTags {
            try report.emit(TagsReport(tags: PretrainedTag.all.map {
                TagsReport.Tag(architecture: $0.architecture, tag: $0.tag, repository: $0.repository, quickGELU: $0.quickGELU)
            }))
            return
        }
        let reference = self.reference ?? ""
        if case let .local(path) = try ModelReference.parse(reference) {
            throw ValidationError("'\(path)' is not a Hub repository or pretrained tag (and no such file exists)")
        }
        try report.emit(DownloadReport(reference: reference, path: try resolveModel(reference).path))
    }
}

/// `clip cache`: what the Hub cache holds, and removing it.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List or remove models in the Hugging Face Hub cache.",
        subcommands: [List.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cached repositories with their revisions and sizes.")

        @OptionGroup var report: ReportOptions

        /// The cache's repositories.
        struct CacheReport: Report {
            struct Repository: Encodable {
                struct Revision: Encodable {
                    let commit: String
                    let refs: [String]
                    let files: [String]
                }

                let repository: String
                let path: String
                let sizeOnDisk: Int64
                let lastModified: Date?
                let revisions: [Revision]

                enum CodingKeys: String, CodingKey {
                    case repository, path, revisions
                    case sizeOnDisk = "size_on_disk", lastModified = "last_modified"
                }

                func encode(to encoder: Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(repository, forKey: .repository)
                    try container.encode(path, forKey: .path)
                    try container.encode(sizeOnDisk, forKey: .sizeOnDisk)
                    try container.encode(lastModified.map { ISO8601DateFormatter().string(from: $0) }, forKey: .lastModified)
                    try container.encode(revisions, forKey: .revisions)
                }
            }

            let cache: String
            let repositories: [Repository]

            var text: String {
                guard !repositories.isEmpty else { return "cache: \(cache)\n(empty)" }
                let rows = repositories.map { entry -> [String] in
                    let revisions = entry.revisions.map { revision in
                        String(revision.commit.prefix(8)) + (revision.refs.isEmpty ? "" : " (\(revision.refs.joined(separator: ", ")))")
                    }.joined(separator: "; ")
                    return [entry.repository, ProgressRenderer.bytes(entry.sizeOnDisk), revisions]
                }
                let header = ["REPOSITORY", "SIZE", "REVISIONS"]
                let widths = (0..<2).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
                let table = ([header] + rows).map { row in
                    row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                        + String(repeating: " ", count: widths[1] - row[1].count) + row[1] + "  " + row[2]
                }
                return (["cache: \(cache)"] + table).joined(separator: "\n")
            }
        }

        func run() throws {
            let cache = HubCache(root: HubConfiguration.current.cacheDirectory)
            try report.emit(CacheReport(cache: cache.root.path, repositories: try cache.inventory().map { entry in
                CacheReport.Repository(repository: entry.repository, path: entry.folder.path, sizeOnDisk: entry.sizeOnDisk,
                                       lastModified: entry.lastModified,
                                       revisions: entry.revisions.map { .init(commit: $0.commit, refs: $0.refs, files: $0.files) })
            }))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a cached repository, or one revision of it.")

        @Argument(help: "owner/name, or ARCH:TAG.")
        var reference: String

        @Option(help: "Remove only this revision (branch, tag or commit); blobs other revisions use are kept.")
        var revision: String?

        @OptionGroup var report: ReportOptions

        /// What was removed.
        struct RemoveReport: Report {
            let repository: String
            let revision: String?
            let freedBytes: Int64

            enum CodingKeys: String, CodingKey {
                case repository, revision
                case freedBytes = "freed_bytes"
            }

            var text: String {
                "removed \(repository)" + (revision.map { "@\($0)" } ?? "") + ", freed \(ProgressRenderer.bytes(freedBytes))"
            }
        }

        func run() throws {
            let repository: String
            var revision = self.revision
            switch try ModelReference.parse(reference, fileExists: { _ in false }) {
            case let .hub(name, atRevision):
                repository = name
                revision = revision ?? atRevision
            case let .pretrained(entry):
                repository = entry.repository
            case .local:
                throw ValidationError("'\(reference)' is not a Hub repository id")
            }
            let freed = try HubCache(root: HubConfiguration.current.cacheDirectory).remove(repository, revision: revision)
            try report.emit(RemoveReport(repository: repository, revision: revision, freedBytes: freed))
        }
    }
}
