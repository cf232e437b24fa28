import CLIPFileSystem
import Foundation

/// The on-disk forms a CLIP model comes in.
public enum CheckpointLayout: String, Sendable, Codable {
    /// A directory with `open_clip_config.json` and `open_clip_model.safetensors` (open_clip's Hub
    /// export; older exports have `open_clip_pytorch_model.bin` instead).
    case openCLIP = "open_clip"
    /// A Hugging Face transformers directory: `config.json`, `model.safetensors` (or
    /// `pytorch_model.bin`, or shards listed by an index), tokenizer and preprocessor files.
    case huggingFace = "hugging_face"
    /// One file holding an open_clip / OpenAI state dict: `.safetensors`, a `torch.save` checkpoint
    /// (`.bin`, `.pt`, `.pth`), or OpenAI's TorchScript `.pt` archive.
    case stateDict = "state_dict"

    /// File names inside model directories.
    enum FileName {
        static let openCLIPConfiguration = "open_clip_config.json"
        static let openCLIPWeights = "open_clip_model.safetensors"
        static let openCLIPPickleWeights = "open_clip_pytorch_model.bin"
        static let huggingFaceConfiguration = "config.json"
        static let huggingFaceWeights = "model.safetensors"
        static let huggingFaceShardIndex = "model.safetensors.index.json"
        static let huggingFacePickleWeights = "pytorch_model.bin"
        static let huggingFacePickleShardIndex = "pytorch_model.bin.index.json"
        static let huggingFacePreprocessor = "preprocessor_config.json"
        static let huggingFaceVocabulary = "vocab.json"
        static let huggingFaceMerges = "merges.txt"
        static let huggingFaceTokenizer = "tokenizer.json"
        static let huggingFaceTokenizerConfiguration = "tokenizer_config.json"
        static let huggingFaceSpecialTokens = "special_tokens_map.json"

        /// The weight files each layout may use, in order of preference (safetensors first).
        static let openCLIPCandidates = [openCLIPWeights, openCLIPPickleWeights]
        static let huggingFaceCandidates = [huggingFaceWeights, huggingFaceShardIndex,
                                            huggingFacePickleWeights, huggingFacePickleShardIndex]
    }

    /// Extensions a single-file state dict may have.
    static let stateDictExtensions = ["safetensors", "bin", "pt", "pth"]

    /// The layout of `path` and the file that holds its weights (a shard index for split weights).
    static func detect(_ path: String) throws -> (layout: CheckpointLayout, weights: String) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.unrecognizedModel(path: path, reason: "no such file or directory")
        }
        if let kind = SpecialFiles.kind(of: path) {
            throw ModelError.unrecognizedModel(path: path, reason: "\(kind), not a model file or directory")
        }
        if !isDirectory.boolValue {
            guard stateDictExtensions.contains((path as NSString).pathExtension.lowercased()) else {
                throw ModelError.unrecognizedModel(path: path, reason: "a model file must be .safetensors, .bin, .pt or .pth")
            }
            return (.stateDict, path)
        }
        let directory = URL(fileURLWithPath: path)
        func has(_ name: String) -> Bool { manager.fileExists(atPath: directory.appendingPathComponent(name).path) }
        func weights(_ candidates: [String]) throws -> String {
            guard let name = candidates.first(where: has) else {
                throw ModelError.unrecognizedModel(path: path, reason: "no weights: expected \(candidates.joined(separator: " or "))")
            }
            return directory.appendingPathComponent(name).path
        }
        if has(FileName.openCLIPConfiguration) { return (.openCLIP, try weights(FileName.openCLIPCandidates)) }
        if has(FileName.huggingFaceConfiguration) { return (.huggingFace, try weights(FileName.huggingFaceCandidates)) }
        let contents = (try? manager.contentsOfDirectory(atPath: path))?.sorted().prefix(8).joined(separator: ", ") ?? ""
        throw ModelError.unrecognizedModel(path: path, reason: "expected \(FileName.openCLIPConfiguration) or \(FileName.huggingFaceConfiguration); found \(contents)")
    }
}
