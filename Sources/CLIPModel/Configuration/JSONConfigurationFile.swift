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

    /// `section[key]` as an integer; `fallback` when absent or null (transformers' `None`).
    static func int(_ section: [String: Any], _ key: String, default fallback: Int, path: String) throws -> Int {
        guard let value = section[key], !(value is NSNull) else { return fallback }
        guard let number = value as? Int else { throw ModelError.invalidConfiguration(path: path, reason: "\(key) must be an integer") }
        return number
    }

    /// `section[key]` as a positive number; `fallback` when absent or null.
    static func positiveDouble(_ section: [String: Any], _ key: String, default fallback: Double, path: String) throws -> Double {
        guard let value = section[key], !(value is NSNull) else { return fallback }
        guard let number = value as? Double, number > 0 else { throw ModelError.invalidConfiguration(path: path, reason: "\(key) must be positive") }
        return number
    }

    /// The object in the file at `path`.
    static func object(path: String) throws -> [String: Any] {
        let data: Data
        do { data = try UserFile.read(path) } catch { throw ModelError.invalidConfiguration(path: path, reason: "cannot read: \(error.reason)") }
        return try object(data, source: path)
    }
}
