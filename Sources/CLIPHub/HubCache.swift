import CLIPFileSystem
import Foundation

/// The Hub cache as `huggingface_hub` lays it out, shared with Python tools:
///
///     <root>/models--owner--name/blobs/<etag>                  file contents, named by checksum
///     <root>/models--owner--name/snapshots/<commit>/<file>     relative symlinks into blobs
///     <root>/models--owner--name/refs/<revision>               the commit a branch or tag was at
///     <root>/models--owner--name/.no_exist/<commit>/<file>     files known to be absent
///     <root>/.locks/models--owner--name/<etag>.lock            flock(2) while a blob is written
public struct HubCache: Sendable {
    /// The cache folder (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
    public let root: URL

    /// The cache at `root`.
    public init(root: URL) { self.root = root }

    /// `models--owner--name`.
    public static func folderName(repository: String) -> String {
        "models--" + repository.replacingOccurrences(of: "/", with: "--")
    }

    /// The repository id of a cache folder name, or nil if it is not a model folder.
    static func repository(folderName: String) -> String? {
        guard folderName.hasPrefix("models--") else { return nil }
        let parts = folderName.dropFirst("models--".count).components(separatedBy: "--")
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return parts.joined(separator: "/")
    }

    /// `models--owner--name` for `owner/name`.
    public func repositoryFolder(_ repository: String) -> URL {
        root.appendingPathComponent(Self.folderName(repository: repository), isDirectory: true)
    }

    func blob(_ repository: String, etag: String) -> URL {
        repositoryFolder(repository).appendingPathComponent("blobs/\(etag)")
    }

    /// The snapshot folder of `commit`, where the files appear under their repository names.
    public func snapshotFolder(_ repository: String, commit: String) -> URL {
        repositoryFolder(repository).appendingPathComponent("snapshots/\(commit)", isDirectory: true)
    }

    func snapshotFile(_ repository: String, commit: String, file: String) -> URL {
        snapshotFolder(repository, commit: commit).appendingPathComponent(file)
    }

    func lockFile(_ repository: String, etag: String) -> URL {
        root.appendingPathComponent(".locks/\(Self.folderName(repository: repository))/\(etag).lock")
    }

    func noExistMarker(_ repository: String, commit: String, file: String) -> URL {
        repositoryFolder(repository).appendingPathComponent(".no_exist/\(commit)/\(file)")
    }

    /// Whether `text` is a full commit hash (then it needs no ref).
    static func isCommitHash(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The commit `revision` resolves to in the cache: itself for a commit hash, else its ref file.
    public func commit(_ repository: String, revision: String) -> String? {
        if Self.isCommitHash(revision) { return revision }
        let ref = repositoryFolder(repository).appendingPathComponent("refs/\(revision)")
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Self.isCommitHash(commit) ? commit : nil
    }

    /// Records that `revision` is at `commit` (atomically, as `huggingface_hub` does).
    func writeRef(_ repository: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let ref = repositoryFolder(repository).appendingPathComponent("refs/\(revision)")
        if (try? String(contentsOf: ref, encoding: .utf8)) == commit { return }
        try create(ref.deletingLastPathComponent())
        try write(Data(commit.utf8), to: ref)
    }

    /// The cached file, if its snapshot entry resolves to a readable file.
    public func cachedFile(_ repository: String, commit: String, file: String) -> URL? {
        let path = snapshotFile(repository, commit: commit, file: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return path
    }

    /// Whether a previous lookup found that the file does not exist at this commit.
    func knownMissing(_ repository: String, commit: String, file: String) -> Bool {
        FileManager.default.fileExists(atPath: noExistMarker(repository, commit: commit, file: file).path)
    }

    func markMissing(_ repository: String, commit: String, file: String) {
        let marker = noExistMarker(repository, commit: commit, file: file)
        try? create(marker.deletingLastPathComponent())
        _ = FileManager.default.createFile(atPath: marker.path, contents: Data())
    }

    /// Points `snapshots/<commit>/<file>` at `blobs/<etag>` with a relative link, as Python does.
    func link(_ repository: String, commit: String, file: String, etag: String) throws -> URL {
        let pointer = snapshotFile(repository, commit: commit, file: file)
        try create(pointer.deletingLastPathComponent())
        let depth = file.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth + 2) + "blobs/\(etag)"
        let temporary = pointer.deletingLastPathComponent().appendingPathComponent(".\(pointer.lastPathComponent).\(getpid()).link")
        try? FileManager.default.removeItem(at: temporary)
        guard symlink(target, temporary.path) == 0, rename(temporary.path, pointer.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw HubError.cache(path: pointer.path, reason: "cannot link to the blob: \(reason)")
        }
        return pointer
    }

    func create(_ folder: URL) throws {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw HubError.cache(path: folder.path, reason: "cannot create the folder: \(FailureReason.of(error))")
        }
    }

    func write(_ data: Data, to file: URL) throws {
        do { try data.write(to: file, options: .atomic) } catch {
            throw HubError.cache(path: file.path, reason: "cannot write: \(FailureReason.of(error))")
        }
    }
}
