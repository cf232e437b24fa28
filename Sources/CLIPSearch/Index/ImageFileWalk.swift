import CLIPImage
import Foundation

/// The image files below some roots, as an update sees them: hidden entries and entries matching an
/// exclusion glob skipped, images recognised by their first bytes (files the index already knows are
/// not opened), with size and modification time.
struct ImageFileWalk {
    /// What the walk found of one file.
    struct Seen {
        var size: Int
        var modified: Double
    }

    /// fnmatch(3) patterns; an entry is skipped when one matches its name or its path relative to
    /// the root it was found under (a skipped folder is not entered).
    var exclude: [String] = []
    /// Whether the catalogue already knows a path (such files are listed without being opened).
    var isKnown: (String) -> Bool = { _ in false }

    func isExcluded(_ relativePath: String) -> Bool {
        let name = (relativePath as NSString).lastPathComponent
        return exclude.contains { fnmatch($0, name, 0) == 0 || fnmatch($0, relativePath, 0) == 0 }
    }

    /// The image files below `roots` (files or folders, absolute and standardised), by path. Walked
    /// with readdir and stat: Foundation's URL enumeration took most of an unchanged update's second
    /// over 10,000 files. Symbolic links to files are followed; links to folders are not entered.
    func files(below roots: [String]) throws -> [String: Seen] {
        var found: [String: Seen] = [:]
        for root in roots {
            var status = stat()
            guard stat(root, &status) == 0 else { throw SearchError.io(path: root, reason: "no such file or directory") }
            if status.st_mode & S_IFMT == S_IFDIR {
                guard let directory = opendir(root) else { throw SearchError.io(path: root, reason: "cannot list the folder") }
                closedir(directory)
                walk(root == "/" ? "" : root, relative: "", into: &found)
            } else {
                consider(root, status, into: &found)
            }
        }
        return found
    }

    private func walk(_ folder: String, relative: String, into found: inout [String: Seen]) {
        guard let directory = opendir(folder.isEmpty ? "/" : folder) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            guard !name.hasPrefix(".") else { continue }
            let path = folder + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            if !exclude.isEmpty, isExcluded(relativePath) { continue }
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR {
                if entry.pointee.d_type != UInt8(DT_LNK) { walk(path, relative: relativePath, into: &found) }
            } else {
                consider(path, status, into: &found)
            }
        }
    }

    private func consider(_ path: String, _ status: stat, into found: inout [String: Seen]) {
        guard status.st_mode & S_IFMT == S_IFREG else { return }
        if !isKnown(path) { guard ImageDecoder.format(ofFileAt: path) != nil else { return } }
        let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1_000_000_000
        found[path] = Seen(size: Int(status.st_size), modified: modified)
    }
}
