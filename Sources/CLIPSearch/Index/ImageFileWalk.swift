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

    /// The image files below `roots` (files or folders, absolute and standardised), by path.
    func files(below roots: [String]) throws -> [String: Seen] {
        var found: [String: Seen] = [:]
        let keys: [URLResourceKey] = [.isRegularFileKey, .isDirectoryKey, .fileSizeKey, .contentModificationDateKey]
        func consider(_ url: URL, _ values: URLResourceValues) {
            guard values.isRegularFile == true, let size = values.fileSize, let modified = values.contentModificationDate else { return }
            let path = url.standardizedFileURL.path
            if !isKnown(path) {
                guard let handle = FileHandle(forReadingAtPath: path) else { return }
                let head = (try? handle.read(upToCount: 12)) ?? Data()
                try? handle.close()
                guard ImageDecoder.format(of: head) != nil else { return }
            }
            found[path] = Seen(size: size, modified: modified.timeIntervalSince1970)
        }
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
                throw SearchError.io(path: root, reason: "no such file or directory")
            }
            let rootURL = URL(fileURLWithPath: root, isDirectory: isDirectory.boolValue)
            guard isDirectory.boolValue else {
                if let values = try? rootURL.resourceValues(forKeys: Set(keys)) { consider(rootURL, values) }
                continue
            }
            guard let enumerator = FileManager.default.enumerator(at: rootURL, includingPropertiesForKeys: keys, options: [.skipsHiddenFiles]) else {
                throw SearchError.io(path: root, reason: "cannot list the folder")
            }
            let rootPrefix = rootURL.standardizedFileURL.path + "/"
            while let url = enumerator.nextObject() as? URL {
                guard let values = try? url.resourceValues(forKeys: Set(keys)) else { continue }
                let path = url.standardizedFileURL.path
                let relative = path.hasPrefix(rootPrefix) ? String(path.dropFirst(rootPrefix.count)) : url.lastPathComponent
                if !exclude.isEmpty, isExcluded(relative) {
                    if values.isDirectory == true { enumerator.skipDescendants() }
                    continue
                }
                consider(url, values)
            }
        }
        return found
    }
}
