import CLIPFileSystem
import CLIPImage
import CLIPTensor
import Foundation

/// The directory layouts a model can be written in.
public enum ExportLayout: String, Sendable, CaseIterable {
    /// `open_clip_config.json` + `open_clip_model.safetensors`, as open_clip's Hub export writes
    /// them (`open_clip.create_model_and_transforms("hf-hub:…")` or `pretrained=` the weights file).
    case openCLIP = "openclip"
    /// transformers' `CLIPModel` directory: `config.json`, `model.safetensors`,
    /// `preprocessor_config.json` and the tokenizer files. ViT models only.
    case huggingFace = "hf"
}

/// The floating type an export stores its weights in.
public enum ExportDType: String, Sendable, CaseIterable {
    /// The input's floating type when all its weights share one (f16 or bf16), else f32.
    case auto
    case f32, f16, bf16

    /// The safetensors type for `loaded`'s weights.
    public func storage(for loaded: LoadedModel) -> SafeTensorsDType {
        switch self {
        case .f32: return .float32
        case .f16: return .float16
        case .bf16: return .bfloat16
        case .auto: return loaded.storedTypes == ["F16"] ? .float16 : loaded.storedTypes == ["BF16"] ? .bfloat16 : .float32
        }
    }
}

/// Writes a loaded model as a safetensors model directory. The directory is built beside the
/// destination and renamed into place, so an interrupted export leaves nothing half-written.
public enum ModelExporter {
    /// Writes `loaded` to `directory` (which must not exist, or be empty) in `layout`, storing floating
    /// tensors as `dtype`.
    public static func write(_ loaded: LoadedModel, layout: ExportLayout, to directory: String,
                             dtype: SafeTensorsDType = .float32) throws {
        let destination = URL(fileURLWithPath: directory)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
            let contents = isDirectory.boolValue ? ((try? manager.contentsOfDirectory(atPath: destination.path)) ?? []) : ["(a file)"]
            guard contents.isEmpty else {
                throw ModelError.exportFailed(path: directory, reason: "the output exists and is not empty")
            }
            try? manager.removeItem(at: destination)
        }
        let parent = destination.deletingLastPathComponent()
        AbandonedFiles.removeAbandoned(in: parent)
        let staging = parent.appendingPathComponent(AbandonedFiles.stagingName(for: destination.lastPathComponent), isDirectory: true)
        try? manager.removeItem(at: staging)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            switch layout {
            case .openCLIP: try writeOpenCLIP(loaded, to: staging, dtype: dtype)
            case .huggingFace: try writeHuggingFace(loaded, to: staging, dtype: dtype)
            }
            try manager.moveItem(at: staging, to: destination)
        } catch {
            try? manager.removeItem(at: staging)
            if let error = error as? ModelError { throw error }
            if let error = error as? TensorError { throw ModelError.exportFailed(path: directory, reason: error.description) }
            throw ModelError.exportFailed(path: directory, reason: FailureReason.of(error))
        }
    }

    /// The model's tensors under open_clip's state-dict names.
    static func stateDict(_ loaded: LoadedModel) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: loaded.model.namedParameters().map { ($0.name, $0.parameter.wrappedValue) })
    }

    static func writeJSON(_ object: Any, to file: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: file)
    }

    /// The filter as open_clip and torchvision name it.
    static func interpolationName(_ filter: ResampleFilter) -> String {
        switch filter {
        case .bilinear: return "bilinear"
        case .nearest: return "nearest"
        default: return "bicubic"
        }
    }

    /// An `mlp_ratio` for which open_clip's `int(width * mlp_ratio)` is exactly `mlpWidth`.
    static func mlpRatio(width: Int, mlpWidth: Int) -> Double {
        let exact = Double(mlpWidth) / Double(width)
        return Int(Double(width) * exact) == mlpWidth ? exact : (Double(mlpWidth) + 0.5) / Double(width)
    }
}
