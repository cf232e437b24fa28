import Foundation

/// The bytes libFuzzer hands a target, and helpers for parsers that read files.
public enum FuzzInput {
    /// The input as `Data`.
    public static func data(_ start: UnsafeRawPointer, _ count: Int) -> Data {
        Data(bytes: start, count: count)
    }

    /// A folder of this process's own under /dev/shm (memory, not disk), emptied for every input.
    public static func folder() -> URL {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("swift-clip-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `data` written as `name` in a fresh `folder()`; returns the file's path.
    public static func file(_ data: Data, named name: String) -> String {
        let url = folder().appendingPathComponent(name)
        FileManager.default.createFile(atPath: url.path, contents: data)
        return url.path
    }

    /// Splits `data` at the first `separator` byte sequence into two parts (the whole and empty
    /// when absent), for targets that take two inputs.
    public static func split(_ data: Data, at separator: [UInt8]) -> (Data, Data) {
        guard let range = data.firstRange(of: Data(separator)) else { return (data, Data()) }
        return (data[..<range.lowerBound], data[range.upperBound...])
    }
}
