import Foundation

/// The on-disk forms a CLIP model comes in.
public enum CheckpointLayout: String, Sendable, Codable {
    /// A directory with `open_clip_config.json` and `open_clip_model.safetensors` (open_clip's Hub export).
    case openCLIP = "open_clip"
    /// A Hugging Face transformers directory: `config.json`, `model.safetensors`, tokenizer and
    /// preprocessor files.
    case huggingFace = "hugging_face"
    /// One `.safetensors` file holding an open_clip / OpenAI state dict.
    case stateDict = "state_dict"

    /// File names inside model directories.
    enum FileName {
        static let openCLIPConfiguration = "open_clip_config.json"
        static let openCLIPWeights = "open_clip_model.safetensors"
        static let huggingFaceConfiguration = "config.json"
        static let huggingFaceWeights = "model.safetensors"
        static let huggingFacePreprocessor = "preprocessor_config.json"
        static let huggingFaceVocabulary = "vocab.json"
        static let huggingFaceMerges = "merges.txt"
    }

    /// The layout of `path` and the file that holds its weights.
    static func detect(_ path: String) throws -> (layout: CheckpointLayout, weights: String) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.unrecognizedModel(path: path, reason: "no such file or directory")
        }
        if !isDirectory.boolValue {
            guard path.hasSuffix(".safetensors") else {
                throw ModelError.unrecognizedModel(path: path, reason: "a model file must be .safetensors")
            }
            return (.stateDict, path)
        }
        let directory = URL(fileURLWithPath: path)
        func has(_ name: String) -> Bool { manager.fileExists(atPath: directory.appendingPathComponent(name).path) }
        func weights(_ name: String) throws -> String {
            guard has(name) else {
                throw ModelError.unrecognizedModel(path: path, reason: "\(name) is missing")
            }
            return directory.appendingPathComponent(name).path
        }
        if has(FileName.openCLIPConfiguration) { return (.openCLIP, try weights(FileName.openCLIPWeights)) }
        if has(FileName.huggingFaceConfiguration) { return (.huggingFace, try weights(FileName.huggingFaceWeights)) }
        let contents = (try? manager.contentsOfDirectory(atPath: path))?.sorted().prefix(8).joined(separator: ", ") ?? ""
        throw ModelError.unrecognizedModel(path: path, reason: "expected \(FileName.openCLIPConfiguration) or \(FileName.huggingFaceConfiguration); found \(contents)")
    }
}
