import ArgumentParser
import CLIPModel
import CLIPTensor
import Foundation

/// `clip convert`: any loadable model to a safetensors directory in open_clip or transformers layout.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a model as a safetensors directory that open_clip or transformers loads.",
        discussion: """
        INPUT is anything --model accepts: a directory, a .safetensors / .bin / .pt / .pth state dict, an OpenAI \
        TorchScript archive, a Hub repository or an ARCH:TAG. The openclip layout is open_clip_config.json + \
        open_clip_model.safetensors; the hf layout is config.json, model.safetensors, preprocessor_config.json and \
        the tokenizer files (ViT models only).
        """)

    @Argument(help: "The model to convert.")
    var input: String

    @Option(help: "For a bare state-dict file: a preset name or an open_clip config JSON (inferred when omitted).")
    var arch: String?

    @Option(help: "The output directory (created; must not exist or be empty).")
    var output: String

    @Option(help: "openclip or hf.")
    var layout: String = "openclip"

    @Option(help: "f32, f16, bf16, or auto (the input's floating type when it has one, else f32).")
    var dtype: String = "auto"

    func validate() throws {
        guard ExportLayout(rawValue: layout) != nil else { throw ValidationError("--layout must be openclip or hf") }
        guard ["auto", "f32", "f16", "bf16"].contains(dtype) else { throw ValidationError("--dtype must be auto, f32, f16 or bf16") }
    }

    func run() throws {
        let resolved = try resolveModel(input)
        let loaded = try CLIPLoader.load(path: resolved.path, architecture: arch, quickGELU: resolved.quickGELU)
        let storage: SafeTensorsDType
        switch dtype {
        case "f16": storage = .float16
        case "bf16": storage = .bfloat16
        case "f32": storage = .float32
        default:
            storage = loaded.storedTypes == ["F16"] ? .float16 : loaded.storedTypes == ["BF16"] ? .bfloat16 : .float32
        }
        try ModelExporter.write(loaded, layout: ExportLayout(rawValue: layout)!, to: output, dtype: storage)
        print("wrote \(output) (\(layout), \(storage.rawValue), \(loaded.model.parameterCount) parameters)")
    }
}
