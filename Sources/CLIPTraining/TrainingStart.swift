import CLIPFileSystem
import CLIPImage
import CLIPModel
import CLIPTokenizer
import Foundation

/// The model a training run starts from: a fresh one built from a configuration, a pretrained one,
/// or the checkpoint of an earlier run to continue.
public struct TrainingStart {
    /// What to build or load when not resuming.
    public enum Source: Sendable, Equatable {
        /// A preset name (`ViT-B-32`) or an open_clip config file, randomly initialised.
        case fresh(configuration: String)
        /// Any model reference, resolved by the caller's `load`.
        case pretrained(reference: String)
    }

    /// The model, holding the weights training begins with.
    public let loaded: LoadedModel
    /// The checkpoint folder to restore optimizer state and progress from, when resuming.
    public let resumeCheckpoint: URL?
    /// The pretrained model the run fine-tunes (an absolute path for local files), kept in LoRA
    /// checkpoints so that a resume can rebuild the unmerged base weights.
    public let baseModel: String?

    /// Works out the start of a run. With `resume` (a checkpoint folder, or a run folder whose newest
    /// checkpoint is taken) the checkpoint's weights are loaded, except for a LoRA run, whose adapters go
    /// back onto the base model (`source`'s reference, else the one the checkpoint records).
    /// `load` turns a model reference (path, Hub repository, tag) into a loaded model.
    public static func prepare(source: Source?, resume: String?, seed: UInt64,
                               load: (String) throws -> LoadedModel) throws -> TrainingStart {
        let pretrained: String?
        if case let .pretrained(reference) = source { pretrained = reference } else { pretrained = nil }
        if let resume {
            let folder = try TrainingCheckpoint.locate(resume)
            let state = try TrainingCheckpoint.readState(folder)
            guard state.options.lora != nil else {
                return TrainingStart(loaded: try CLIPLoader.load(path: folder.path), resumeCheckpoint: folder, baseModel: pretrained)
            }
            guard let base = pretrained ?? state.baseModel else {
                throw TrainingError.invalidOption("this LoRA checkpoint does not name its base model; give it with --model")
            }
            return TrainingStart(loaded: try load(base), resumeCheckpoint: folder, baseModel: absolute(base))
        }
        switch source {
        case let .fresh(configuration):
            return TrainingStart(loaded: try .randomlyInitialized(configuration, seed: seed), resumeCheckpoint: nil, baseModel: nil)
        case let .pretrained(reference):
            return TrainingStart(loaded: try load(reference), resumeCheckpoint: nil, baseModel: absolute(reference))
        case nil:
            throw TrainingError.invalidOption("give a model configuration or a model to start from (or a checkpoint to resume)")
        }
    }

    /// A local file's absolute path, or the reference unchanged (Hub repositories, tags).
    private static func absolute(_ reference: String) -> String {
        FileManager.default.fileExists(atPath: reference) ? URL(fileURLWithPath: reference).standardizedFileURL.path : reference
    }
}

extension LoadedModel {
    /// A model with open_clip's random initialisation, from a preset name (`ViT-B-32`,
    /// `RN50-quickgelu`) or an open_clip config file (a bare `model_cfg` or a whole
    /// `open_clip_config.json`, whose preprocessing settings are then used too, and whose named
    /// Hugging Face tokenizer is read from the `tokenizer.json` beside it).
    public static func randomlyInitialized(_ configurationName: String, seed: UInt64) throws -> LoadedModel {
        let configuration: CLIPConfiguration
        var preprocessor: ImagePreprocessor? = nil
        var tokenizer: (any TextTokenizer)? = nil
        var tokenizerFiles: [String] = []
        if FileManager.default.fileExists(atPath: configurationName) {
            let data = try UserFile.read(configurationName)
            configuration = try CLIPConfiguration.openCLIP(json: data, source: configurationName)
            preprocessor = try CLIPLoader.openCLIPPreprocessing(data, imageSize: configuration.vision.imageSize, source: configurationName)
            // A tokenizer named by the configuration (SigLIP's) is the tokenizer.json beside it.
            let directory = (configurationName as NSString).deletingLastPathComponent
            tokenizer = try CLIPLoader.namedTokenizer(for: configuration, directory: directory)
            if tokenizer != nil { tokenizerFiles = CLIPLoader.tokenizerFiles(in: directory) }
        } else {
            configuration = try CLIPPresets.configuration(named: configurationName)
        }
        let model = CLIP(configuration)
        ModelInitializer.initialize(model, seed: seed)
        return LoadedModel(model: model, layout: .openCLIP, weightsPath: "(random initialisation)", architectureName: configurationName,
                           preprocessor: preprocessor ?? ImagePreprocessor(size: configuration.vision.imageSize),
                           vocabulary: try BPEVocabulary.bundled(), storedTypes: [], textTokenizer: tokenizer,
                           tokenizerFiles: tokenizerFiles)
    }
}
