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
        """))
    var model: String

    @Option(help: "For a bare state-dict file: a preset name (ViT-B-32, RN50-quickgelu, …) or an open_clip config JSON; inferred from the weights when omitted.")
    var arch: String?

    func load() throws -> LoadedModel {
        let resolved = try resolveModel(model)
        return try CLIPLoader.load(path: resolved.path, architecture: arch, quickGELU: resolved.quickGELU)
    }
}

/// Makes a `--model` reference local, downloading from the Hub with a progress display if needed.
func resolveModel(_ reference: String) throws -> ResolvedModel {
    let resolver = ModelResolver(configuration: .current)
    resolver.progress = DownloadProgressBar().handler
    return try resolver.resolve(reference)
}

/// Peak resident memory of this process in bytes (VmHWM on Linux, ru_maxrss elsewhere).
func peakResidentBytes() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
        return kilobytes * 1024
    }
    var usage = rusage()
    #if os(macOS)
    getrusage(RUSAGE_SELF, &usage)
    return Int(usage.ru_maxrss)
    #else
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
    #endif
}

/// One JSON object on one line, keys sorted.
func jsonLine(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
}

/// A Float as the Double with the same shortest decimal form, so JSON shows "0.48145467", not the
/// binary expansion "0.48145467042922974".
func shortest(_ value: Float) -> Double {
    Double("\(value)") ?? Double(value)
}
