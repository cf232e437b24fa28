import ArgumentParser
import CLIPModel
import CLIPTensor
import Foundation

extension ExportLayout: ExpressibleByArgument {}
extension ExportDType: ExpressibleByArgument {}

/// `clip convert`: any loadable model to a safetensors directory in open_clip or transformers layout.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a model as a safetensors directory that open_clip or transformers loads.",
        discussion: """
        INPUT is anything --model accepts: a directory, a .safetensors / .bin / .pt / .pth state dict, an OpenAI \
        TorchScript archive, a Hub repository or an ARCH:TAG. The openclip layout is open_clip_config.json + \
        open_clip_model.safetensors; the hf layout is config.json, model.safetensors, preprocessor_config.json and \
        the tokenizer files (ViT models only). --dtype int8 stores the linear, attention and convolution weights as \
        int8 with per-row scales (about a third of the f32 size for ViT-B/32): swift-clip loads it and computes in \
        int8 without quantising again; open_clip and transformers cannot read it.
        """)

    @Argument(help: "The model to convert.")
    var input: String

    @Option(help: ArgumentHelp("For a bare state-dict file: a preset name or an open_clip config JSON (inferred when omitted).", valueName: "arch"))
    var arch: String?

    @Option(help: ArgumentHelp("The output directory (created; must not exist or be empty).", valueName: "dir"))
    var outputDir: String

    @Option(help: "The directory layout to write.")
    var layout: ExportLayout = .openCLIP

    @Option(help: "The weights' type: f32, f16, bf16, int8 (openclip layout), or auto: the input's int8, f16 or bf16, else f32.")
    var dtype: ExportDType = .auto

    @OptionGroup var report: ReportOptions

    /// What was written.
    struct ConvertReport: Report {
        let directory: String
        let layout: String
        let dtype: String
        let parameters: Int

        var text: String { "wrote \(directory) (\(layout), \(dtype), \(parameters) parameters)" }
    }

    func run() throws {
        let loaded = try loadModel(input, architecture: arch)
        let storage = dtype.storage(for: loaded)
        try ModelExporter.write(loaded, layout: layout, to: outputDir, dtype: storage)
        try report.emit(ConvertReport(directory: outputDir, layout: layout.rawValue, dtype: storage.rawValue, parameters: loaded.model.parameterCount))
    }
}
