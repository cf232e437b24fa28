import Foundation

/// `<tmp>/swift-clip-tests-<pid>/<name>` with nothing there: whatever an earlier use of the same
/// name left behind is removed. The one place tests put the files they write.
public func temporaryPath(_ name: String) -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("swift-clip-tests-\(getpid())", isDirectory: true)
    try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let url = root.appendingPathComponent(name)
    try? FileManager.default.removeItem(at: url)
    return url
}

/// A fresh, empty folder `<tmp>/swift-clip-tests-<pid>/<name>` (see `temporaryPath`).
public func temporaryDirectory(_ name: String) -> URL {
    let url = temporaryPath(name)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
