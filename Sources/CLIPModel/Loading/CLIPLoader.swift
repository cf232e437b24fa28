import CLIPFileSystem
import CLIPImage
import CLIPNN
import CLIPTensor
import CLIPTokenizer
import Foundation

/// A model ready to run, with what is needed to feed it.
public struct LoadedModel: @unchecked Sendable {
    /// The model, holding its weights.
    public let model: CLIP
    /// The layout the weights came in.
    public let layout: CheckpointLayout
    /// The file the weights came from.
    public let weightsPath: String
    /// A preset name, when the architecture came from one.
    public let architectureName: String?
    /// Image preprocessing from the model's configuration (size, mean, std, filter).
    public let preprocessor: ImagePreprocessor
    /// The tokenizer's vocabulary: the directory's Hugging Face files, else the bundled one.
    public let vocabulary: BPEVocabulary
    /// Element types of the floating-point tensors on disk ("F32", "F16", …).
    public let storedTypes: [String]
    /// The tokenizer of a model that does not use CLIP's BPE (SigLIP, …); nil for CLIP models.
    public let textTokenizer: (any TextTokenizer)?
    /// Why a non-CLIP model has no tokenizer (its directory lacks the file), reported when one is needed.
    let missingTokenizer: ModelError?
    /// The files `textTokenizer` was read from (`tokenizer.json` and its configs, `spiece.model`),
    /// which exports and training checkpoints carry along.
    public let tokenizerFiles: [String]

    /// A loaded model from its parts.
    public init(model: CLIP, layout: CheckpointLayout, weightsPath: String, architectureName: String?,
                preprocessor: ImagePreprocessor, vocabulary: BPEVocabulary, storedTypes: [String],
                textTokenizer: (any TextTokenizer)? = nil, tokenizerFiles: [String] = []) {
        self.init(model: model, layout: layout, weightsPath: weightsPath, architectureName: architectureName, preprocessor: preprocessor,
                  vocabulary: vocabulary, storedTypes: storedTypes, textTokenizer: textTokenizer, missingTokenizer: nil,
                  tokenizerFiles: tokenizerFiles)
    }

    init(model: CLIP, layout: CheckpointLayout, weightsPath: String, architectureName: String?, preprocessor: ImagePreprocessor,
         vocabulary: BPEVocabulary, storedTypes: [String], textTokenizer: (any TextTokenizer)?, missingTokenizer: ModelError?,
         tokenizerFiles: [String]) {
        self.model = model
        self.layout = layout
        self.weightsPath = weightsPath
        self.architectureName = architectureName
        self.preprocessor = preprocessor
        self.vocabulary = vocabulary
        self.storedTypes = storedTypes
        self.textTokenizer = textTokenizer
        self.missingTokenizer = missingTokenizer
        self.tokenizerFiles = tokenizerFiles
    }

    /// The model's tokenizer at its context length: the family's own, else CLIP's BPE over `vocabulary`.
    public func makeTokenizer() throws -> any TextTokenizer {
        if let textTokenizer { return textTokenizer }
        if let missingTokenizer { throw missingTokenizer }
        return try CLIPTokenizer(vocabulary: vocabulary, contextLength: model.configuration.text.contextLength)
    }
}

/// Loads a CLIP model from any of the three layouts, strictly: every tensor of the checkpoint must
/// be used, every parameter found, every shape equal. Float32 weights stay memory-mapped (the
/// model's parameters borrow the file's pages); F16 is converted to Float32 once. Layer weights stored
/// in BF16, or in int8 with scales (`clip convert --dtype int8`), are used as they are by products in
/// their precision, and become Float32 only if something reads them so; a model with int8 weights
/// computes in int8.
public enum CLIPLoader {
    /// Keys in checkpoints that carry no weights: BatchNorm counters, Hugging Face's position-id
    /// buffers, and the scalars OpenAI's TorchScript state dicts keep beside the weights.
    static func isIgnorable(_ key: String) -> Bool {
        key.hasSuffix("num_batches_tracked") || key.hasSuffix("position_ids")
            || ["input_resolution", "context_length", "vocab_size"].contains(key)
    }

    static let floatingTypes: Set<String> = ["F32", "F16", "BF16", "F64"]

    /// Loads `path`: a directory of either layout, or one state-dict file (safetensors, a
    /// `torch.save` checkpoint, or a TorchScript archive). `architecture` names a preset or an
    /// open_clip config JSON file for a bare state dict (otherwise inferred). `quickGELU`, when set,
    /// overrides the configuration's activation, as open_clip does for pretrained tags that were
    /// trained with QuickGELU (OpenAI's weights).
    ///
    /// `textModelDirectory` is where a Hugging Face text tower's own files live when they are not
    /// beside the weights (its `config.json` and tokenizer, fetched from the Hub repository that
    /// `hf_model_name` / `hf_tokenizer_name` names).
    public static func load(path: String, architecture: String? = nil, quickGELU: Bool? = nil,
                            textModelDirectory: String? = nil) throws -> LoadedModel {
        let (layout, weightsPath) = try CheckpointLayout.detect(path)
        let file: TensorArchive
        do { file = try openTensorArchive(path: weightsPath) } catch let error as TensorError { throw ModelError.unreadableWeights(error) }
        let directory = URL(fileURLWithPath: layout == .stateDict ? (path as NSString).deletingLastPathComponent : path)
        func sibling(_ name: String) -> String { directory.appendingPathComponent(name).path }

        var configuration: CLIPConfiguration
        var architectureName: String? = nil
        var preprocessor: ImagePreprocessor? = nil
        var vocabulary = try BPEVocabulary.bundled()
        switch layout {
        case .openCLIP:
            let configPath = sibling(CheckpointLayout.FileName.openCLIPConfiguration)
            let data = try UserFile.read(configPath)
            configuration = try CLIPConfiguration.openCLIP(json: data, source: configPath, textModelDirectory: textModelDirectory)
            preprocessor = try openCLIPPreprocessing(data, imageSize: configuration.vision.imageSize, source: configPath)
        case .huggingFace:
            let configPath = sibling(CheckpointLayout.FileName.huggingFaceConfiguration)
            let root = try JSONConfigurationFile.object(path: configPath)
            switch root["model_type"] as? String {
            case "siglip": configuration = try SigLIPHuggingFaceCheckpoint.configuration(root, path: configPath)
            case "chinese_clip": configuration = try ChineseCLIPHuggingFaceCheckpoint.configuration(root, path: configPath)
            default: configuration = try HuggingFaceCheckpoint.configuration(path: configPath)
            }
            preprocessor = try HuggingFaceCheckpoint.preprocessing(path: sibling(CheckpointLayout.FileName.huggingFacePreprocessor),
                                                                   imageSize: configuration.vision.imageSize)
            if FileManager.default.fileExists(atPath: sibling(CheckpointLayout.FileName.huggingFaceVocabulary)),
               FileManager.default.fileExists(atPath: sibling(CheckpointLayout.FileName.huggingFaceMerges)) {
                vocabulary = try BPEVocabulary.huggingFace(directory: directory.path)
            }
        case .stateDict:
            if let architecture {
                if architecture.hasSuffix(".json") {
                    configuration = try CLIPConfiguration.openCLIP(json: UserFile.read(architecture), source: architecture)
                } else {
                    configuration = try CLIPPresets.configuration(named: architecture)
                    architectureName = architecture
                }
            } else {
                configuration = try ArchitectureInference.configuration(of: file)
            }
        }

        if let quickGELU { configuration.quickGELU = quickGELU }

        var tensors: [String: Tensor] = [:]
        var storedTypes = Set<String>()
        var lowPrecisionWeights: [LowPrecisionWeight] = []
        do {
            for name in file.names where !isIgnorable(name) && !file.isInt8Scale(name) {
                if let type = file.storedType(of: name), floatingTypes.contains(type) || type == "I8" { storedTypes.insert(type) }
                if let stored = try file.storedLowPrecisionWeight(name) {
                    tensors[name] = stored.tensor
                    lowPrecisionWeights.append(stored.lowPrecision)
                } else {
                    tensors[name] = try file.tensor(name)
                }
            }
        } catch let error as TensorError {
            throw ModelError.unreadableWeights(error)
        }
        if layout == .huggingFace {
            switch configuration.family {
            case .sigLIP: tensors = try SigLIPHuggingFaceCheckpoint.remap(tensors, path: weightsPath)
            case .chineseCLIP: tensors = try ChineseCLIPHuggingFaceCheckpoint.remap(tensors, path: weightsPath)
            case .clip, .huggingFaceText: tensors = try HuggingFaceCheckpoint.remap(tensors, path: weightsPath)
            }
        }

        let model = CLIP(configuration)
        do { try model.load(tensors) } catch let error as ModuleError { throw ModelError.weightMismatch(path: weightsPath, error) }
        model.useStoredWeights(lowPrecisionWeights)
        let tokenizerDirectory = FamilyTokenizers.files(in: directory.path).isEmpty ? textModelDirectory ?? directory.path : directory.path
        var textTokenizer: (any TextTokenizer)?
        var missingTokenizer: ModelError?
        do {
            textTokenizer = try namedTokenizer(for: configuration, directory: tokenizerDirectory)
            if textTokenizer == nil && configuration.customText {
                textTokenizer = try FamilyTokenizers.sigLIP(directory: tokenizerDirectory, contextLength: configuration.text.contextLength)
            }
        } catch let error as ModelError {
            missingTokenizer = error
        }
        return LoadedModel(model: model, layout: layout, weightsPath: weightsPath, architectureName: architectureName,
                           preprocessor: preprocessor ?? ImagePreprocessor(size: configuration.vision.imageSize),
                           vocabulary: vocabulary, storedTypes: storedTypes.sorted(), textTokenizer: textTokenizer,
                           missingTokenizer: missingTokenizer,
                           tokenizerFiles: textTokenizer == nil ? [] : FamilyTokenizers.files(in: tokenizerDirectory))
    }

    /// open_clip's `preprocess_cfg` (mean, std, interpolation, resize mode) with the model's image size.
    public static func openCLIPPreprocessing(_ data: Data, imageSize: Int, source: String) throws -> ImagePreprocessor {
        var preprocessor = ImagePreprocessor(size: imageSize)
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let settings = root["preprocess_cfg"] as? [String: Any] else { return preprocessor }
        if let mean = settings["mean"] as? [Double], mean.count == 3 { preprocessor.mean = mean.map(Float.init) }
        if let std = settings["std"] as? [Double], std.count == 3 { preprocessor.standardDeviation = std.map(Float.init) }
        switch settings["interpolation"] as? String {
        case nil, "bicubic": break
        case "bilinear": preprocessor.filter = .bilinear
        case let other?: throw ModelError.invalidConfiguration(path: source, reason: "interpolation '\(other)' is not supported")
        }
        switch settings["resize_mode"] as? String {
        case nil, "shortest": break
        case "squash": preprocessor.resizeMode = .squash
        case let other?: throw ModelError.invalidConfiguration(path: source, reason: "resize_mode '\(other)' is not supported")
        }
        return preprocessor
    }
}
