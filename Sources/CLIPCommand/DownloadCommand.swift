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

    func validate() throws {
        if reference == nil && !listTags { throw ValidationError("give a model reference, or --list-tags") }
    }

    func run() throws {
        if listTags {
            for entry in PretrainedTag.all {
                print("\(entry.architecture):\(entry.tag)\t\(entry.repository)" + (entry.quickGELU ? "\tquickgelu" : ""))
            }
            return
        }
        let parsed = try ModelReference.parse(reference ?? "")
        if case let .local(path) = parsed {
            throw ValidationError("'\(path)' is not a Hub repository or pretrained tag (and no such file exists)")
        }
        let resolved = try resolveModel(reference ?? "")
        print(resolved.path)
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

        @Flag(help: "One JSON object per repository instead of a table.")
        var json = false

        func run() throws {
            let cache = HubCache(root: HubConfiguration.current.cacheDirectory)
            let repositories = try cache.inventory()
            if json {
                for entry in repositories {
                    print(try jsonLine([
                        "repository": entry.repository, "path": entry.folder.path, "size_on_disk": entry.sizeOnDisk,
                        "last_modified": entry.lastModified.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull(),
                        "revisions": entry.revisions.map { ["commit": $0.commit, "refs": $0.refs, "files": $0.files] },
                    ] as [String: Any]))
                }
                return
            }
            print("cache: \(cache.root.path)")
            guard !repositories.isEmpty else { print("(empty)"); return }
            let rows = repositories.map { entry -> [String] in
                let revisions = entry.revisions.map { revision in
                    String(revision.commit.prefix(8)) + (revision.refs.isEmpty ? "" : " (\(revision.refs.joined(separator: ", ")))")
                }.joined(separator: "; ")
                return [entry.repository, DownloadProgressBar.bytes(entry.sizeOnDisk), revisions]
            }
            let header = ["REPOSITORY", "SIZE", "REVISIONS"]
            let widths = (0..<2).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                print(row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                      + String(repeating: " ", count: widths[1] - row[1].count) + row[1] + "  " + row[2])
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a cached repository, or one revision of it.")

        @Argument(help: "owner/name, or ARCH:TAG.")
        var reference: String

        @Option(help: "Remove only this revision (branch, tag or commit); blobs other revisions use are kept.")
        var revision: String?

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
            print("removed \(repository)" + (revision.map { "@\($0)" } ?? "") + ", freed \(DownloadProgressBar.bytes(freed))")
        }
    }
}
