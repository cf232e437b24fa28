import ArgumentParser
import CLIPHub
import CLIPModel
import Foundation

/// `--model` and `--arch`, shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A local model, a Hub repository or an open_clip pretrained tag.",
        discussion: """
        A directory (open_clip or Hugging Face layout) or a state-dict file (.safetensors, .bin/.pt/.pth from torch.save, \
        or an OpenAI TorchScript .pt); a Hub repository owner/name[@revision] (downloaded into the Hugging Face cache, \
        honouring HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_OFFLINE); or ARCH:TAG such as ViT-B-32:openai or \
        ViT-B-32:laion2b_s34b_b79k (see `clip download --list-tags`).
        """, valueName: "ref"))
    var model: String

    @Option(help: ArgumentHelp("For a bare state-dict file: a preset name (ViT-B-32, RN50-quickgelu, …) or an open_clip config JSON; inferred from the weights when omitted.", valueName: "arch"))
    var arch: String?

    @OptionGroup var precision: PrecisionOptions

    /// The model, computing in the precision asked for.
    func load() throws -> LoadedModel {
        let loaded = try loadModel(model, architecture: arch)
        try precision.apply(to: loaded.model)
        return loaded
    }
}

/// Loads any model reference, downloading from the Hub (with progress on standard error) if needed.
func loadModel(_ reference: String, architecture: String? = nil) throws -> LoadedModel {
    let resolved = try resolveModel(reference)
    return try CLIPLoader.load(path: resolved.path, architecture: architecture, quickGELU: resolved.quickGELU,
                               textModelDirectory: resolved.textModelPath)
}

/// Makes a model reference local, downloading from the Hub with a progress display if needed.
func resolveModel(_ reference: String) throws -> ResolvedModel {
    let resolver = ModelResolver(configuration: .current)
    resolver.progress = { event in
        let renderer = ProgressRenderer.shared
        if event.finished {
            renderer.finish(event.file, Int(event.completed), unit: .bytes,
                            detail: event.resumedFrom > 0 ? "resumed at \(ProgressRenderer.bytes(event.resumedFrom))" : nil)
        } else {
            renderer.update(event.file, Int(event.completed), event.total.map { Int($0) }, unit: .bytes)
        }
    }
    return try resolver.resolve(reference)
}
