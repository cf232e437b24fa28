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

/// The type an export stores its weights in.
public enum ExportDType: String, Sendable, CaseIterable {
    /// The input's type: int8 for an int8 checkpoint, f16 or bf16 when all its weights share one, else f32.
    case auto
    case f32, f16, bf16
    /// Linear, attention-projection and convolution weights as int8 with per-row f32 scales (`NAME_scale`),
    /// quantised as `--precision int8` quantises them; everything else f32. Only swift-clip reads it.
    case int8

    /// The safetensors type for `loaded`'s weights (`.int8`: the layer weights' type).
    public func storage(for loaded: LoadedModel) -> SafeTensorsDType {
        switch self {
        case .f32: return .float32
        case .f16: return .float16
        case .bf16: return .bfloat16
        case .int8: return .int8
        case .auto:
            if loaded.storedTypes.contains("I8") { return .int8 }
            return loaded.storedTypes == ["F16"] ? .float16 : loaded.storedTypes == ["BF16"] ? .bfloat16 : .float32
        }
    }
}

/// Writes a loaded model as a safetensors model directory. The directory is built beside the
/// destination and renamed into place, so an interrupted export leaves nothing half-written.
public enum ModelExporter {
    /// Writes `loaded` to `directory` (which must not exist, or be empty) in `layout`, storing floating
    /// tensors as `dtype` (F32, F16, BF16; I8 quantises the layer weights, openclip layout only).
    public static func write(_ loaded: LoadedModel, layout: ExportLayout, to directory: String,
                             dtype: SafeTensorsDType = .float32) throws {
        guard dtype != .int8 || layout == .openCLIP else {
            throw ModelError.exportFailed(path: directory, reason: "int8 weights are written in the openclip layout only (transformers cannot read them)")
        }
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

    /// The state dict stored as `dtype`; for I8, each layer weight that `PrecisionPolicy` runs in int8
    /// becomes int8 values (the checkpoint's own, when it stored them) and their scales under
    /// `StoredLowPrecisionWeight.scaleName(of:)`, and the rest stays f32.
    static func stateEntries(_ loaded: LoadedModel, dtype: SafeTensorsDType) -> [String: SafeTensorsWriter.Entry] {
        let tensors = stateDict(loaded)
        guard dtype == .int8 else { return tensors.mapValues { .values($0, as: dtype) } }
        var entries = tensors.mapValues { SafeTensorsWriter.Entry.values($0, as: .float32) }
        for layer in loaded.model.weightedLayers() where !PrecisionPolicy.keepsHigherPrecision(layer.name) {
            guard let shape = tensors[layer.name]?.shape else { continue }
            let quantized = layer.cache.storedWeight.flatMap { $0.precision == .int8 && $0.isConverted(from: layer.weight) ? $0 : nil }
                ?? LowPrecisionWeight(converting: layer.weight, to: .int8)
            entries[layer.name] = .bytes(quantized.bytes, dtype: .int8, shape: shape)
            entries[StoredLowPrecisionWeight.scaleName(of: layer.name)] = .values(Tensor(quantized.scales), as: .float32)
        }
        return entries
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
