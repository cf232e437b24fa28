import CLIPDigest
import Foundation

/// A content key for a loaded model, for caches: SHA-256 over its configuration, its preprocessing,
/// and every parameter's name, shape and a strided sample of its values (every 509th element plus the
/// first and last 64). Renamed or re-downloaded copies of the same weights share the key; any
/// retrained or fine-tuned weights change it.
public enum ModelFingerprint {
    /// A hex digest of `loaded`'s configuration, preprocessing and every weight, naming its caches.
    public static func of(_ loaded: LoadedModel) -> String {
        var digest = StreamingDigest(.sha256)
        updateWithSettings(&digest, loaded)
        for (name, parameter) in loaded.model.namedParameters() {
            let tensor = parameter.wrappedValue
            digest.update("\(name) \(tensor.shape)\n")
            let sample = tensor.withTransientBufferPointer { values -> [Float] in
                let count = values.count
                var sample: [Float] = []
                sample.reserveCapacity(count / 509 + 130)
                for index in 0..<min(64, count) { sample.append(values[index]) }
                for index in stride(from: 64, to: count, by: 509) { sample.append(values[index]) }
                for index in max(0, count - 64)..<count { sample.append(values[index]) }
                return sample
            }
            sample.withUnsafeBytes { digest.update($0) }
        }
        return digest.finalizeHex()
    }

    /// A key for where `loaded`'s weights came from, read without touching them: its configuration and
    /// preprocessing, and the weights file's path, size, modification time and inode. While the key
    /// is unchanged the fingerprint is too, so an index can keep the fingerprint under it instead of
    /// reading every weight again (a search touches only the text tower). Nil when the file cannot
    /// be examined.
    public static func sourceKey(of loaded: LoadedModel) -> String? {
        var status = stat()
        guard stat(loaded.weightsPath, &status) == 0 else { return nil }
        var digest = StreamingDigest(.sha256)
        updateWithSettings(&digest, loaded)
        let path = URL(fileURLWithPath: loaded.weightsPath).resolvingSymlinksInPath().path
        digest.update("\(path) size=\(status.st_size) mtime=\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) "
                      + "inode=\(status.st_ino) device=\(status.st_dev)\n")
        return digest.finalizeHex()
    }

    private static func updateWithSettings(_ digest: inout StreamingDigest, _ loaded: LoadedModel) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let configuration = try? encoder.encode(loaded.model.configuration) { digest.update(configuration) }
        let preprocessor = loaded.preprocessor
        digest.update("size=\(preprocessor.size) mean=\(preprocessor.mean) std=\(preprocessor.standardDeviation) "
                      + "filter=\(preprocessor.filter) resize=\(preprocessor.resizeMode.rawValue)\n")
    }
}
