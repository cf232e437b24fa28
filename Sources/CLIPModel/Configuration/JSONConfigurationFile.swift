import CLIPFileSystem
import Foundation

/// A JSON configuration file (`config.json`, `preprocessor_config.json`, open_clip's): its top-level
/// object, or an `invalidConfiguration` error that says what is wrong with which file.
enum JSONConfigurationFile {
    /// The object in `data`; `source` names it in errors.
    static func object(_ data: Data, source: String) throws -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ModelError.invalidConfiguration(path: source, reason: FailureReason.of(error))
        }
        guard let object = value as? [String: Any] else {
            throw ModelError.invalidConfiguration(path: source, reason: "expected a JSON object")
        }
        return object
    }

    /// The object in the file at `path`.
    static func object(path: String) throws -> [String: Any] {
        let data: Data
        do { data = try UserFile.read(path) } catch { throw ModelError.invalidConfiguration(path: path, reason: "cannot read: \(error.reason)") }
        return try object(data, source: path)
    }
}
