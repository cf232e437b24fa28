import CLIPFileSystem
import Foundation

/// One cached repository, as `clip cache list` and `huggingface-cli scan-cache` report it.
public struct CachedRepository: Sendable, Equatable {
    /// One cached commit of a repository.
    public struct Revision: Sendable, Equatable {
        /// The commit id (the snapshot folder's name).
        public let commit: String
        /// Branches and tags recorded at this commit.
        public let refs: [String]
        /// Files of the snapshot, relative to it.
        public let files: [String]
    }

    /// `owner/name`.
    public let repository: String
    /// `models--owner--name` in the cache.
    public let folder: URL
    /// Bytes of all blobs (shared by revisions, counted once).
    public let sizeOnDisk: Int64
    /// Every cached commit.
    public let revisions: [Revision]
    /// The newest modification time of the repository's files, if any.
    public let lastModified: Date?
}

extension HubCache {
    /// Every model repository in the cache, by name. Folders of other kinds are left out.
    public func inventory() throws -> [CachedRepository] {
        let manager = FileManager.default
        guard manager.fileExists(atPath: root.path) else { return [] }
        let names: [String]
        do { names = try manager.contentsOfDirectory(atPath: root.path) } catch {
            throw HubError.cache(path: root.path, reason: "cannot list: \(FailureReason.of(error))")
        }
        return names.sorted().compactMap { name in
            guard let repository = Self.repository(folderName: name) else { return nil }
            return describe(repository)
        }
    }

    /// The cached state of one repository, or nil if it has no folder.
    public func describe(_ repository: String) -> CachedRepository? {
        let folder = repositoryFolder(repository)
        let manager = FileManager.default
        guard manager.fileExists(atPath: folder.path) else { return nil }
        var size: Int64 = 0
        var newest: Date? = nil
        let blobs = folder.appendingPathComponent("blobs")
        for blob in (try? manager.contentsOfDirectory(atPath: blobs.path)) ?? [] {
            let attributes = try? manager.attributesOfItem(atPath: blobs.appendingPathComponent(blob).path)
            size += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
            if let date = attributes?[.modificationDate] as? Date, newest.map({ date > $0 }) ?? true { newest = date }
        }
        let refs = refsByCommit(repository)
        let snapshots = folder.appendingPathComponent("snapshots")
        let revisions = ((try? manager.contentsOfDirectory(atPath: snapshots.path)) ?? []).sorted().map { commit in
            CachedRepository.Revision(commit: commit, refs: refs[commit, default: []].sorted(),
                                      files: files(under: snapshots.appendingPathComponent(commit)))
        }
        return CachedRepository(repository: repository, folder: folder, sizeOnDisk: size, revisions: revisions, lastModified: newest)
    }

    /// Removes a whole repository, or one revision (its snapshot, the refs at it, and the blobs no
    /// other snapshot uses). Returns the bytes freed.
    @discardableResult
    public func remove(_ repository: String, revision: String? = nil) throws -> Int64 {
        guard let before = describe(repository) else {
            throw HubError.notCached(repository: repository, revision: revision ?? "any", file: nil, cache: root.path, offline: false)
        }
        let manager = FileManager.default
        guard let revision else {
            try removeItem(before.folder)
            try? manager.removeItem(at: root.appendingPathComponent(".locks/\(Self.folderName(repository: repository))"))
            return before.sizeOnDisk
        }
        guard let commit = commit(repository, revision: revision),
              before.revisions.contains(where: { $0.commit == commit }) else {
            throw HubError.notCached(repository: repository, revision: revision, file: nil, cache: root.path, offline: false)
        }
        try removeItem(snapshotFolder(repository, commit: commit))
        for ref in refsByCommit(repository)[commit, default: []] {
            try removeItem(before.folder.appendingPathComponent("refs/\(ref)"))
        }
        try? manager.removeItem(at: before.folder.appendingPathComponent(".no_exist/\(commit)"))
        let used = Set(before.revisions.filter { $0.commit != commit }.flatMap { revision in
            revision.files.compactMap { file in
                (try? manager.destinationOfSymbolicLink(atPath: snapshotFile(repository, commit: revision.commit, file: file).path))
                    .map { ($0 as NSString).lastPathComponent }
            }
        })
        let blobs = before.folder.appendingPathComponent("blobs")
        var freed: Int64 = 0
        for blob in (try? manager.contentsOfDirectory(atPath: blobs.path)) ?? [] where !used.contains(blob) {
            let path = blobs.appendingPathComponent(blob)
            freed += ((try? manager.attributesOfItem(atPath: path.path))?[.size] as? NSNumber)?.int64Value ?? 0
            try removeItem(path)
        }
        return freed
    }

    /// Ref names (`main`, `refs/pr/1`, …) grouped by the commit they hold.
    private func refsByCommit(_ repository: String) -> [String: [String]] {
        let refs = repositoryFolder(repository).appendingPathComponent("refs")
        var result: [String: [String]] = [:]
        for name in files(under: refs) {
            if let commit = commit(repository, revision: name) { result[commit, default: []].append(name) }
        }
        return result
    }

    /// Relative paths of the files (or links) below `folder`, sorted.
    private func files(under folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var result: [String] = []
        while let path = enumerator.nextObject() as? String {
            let type = enumerator.fileAttributes?[.type] as? FileAttributeType
            if type == .typeRegular || type == .typeSymbolicLink { result.append(path) }
        }
        return result.sorted()
    }

    private func removeItem(_ url: URL) throws {
        do { try FileManager.default.removeItem(at: url) } catch {
            throw HubError.cache(path: url.path, reason: "cannot remove: \(FailureReason.of(error))")
        }
    }
}
