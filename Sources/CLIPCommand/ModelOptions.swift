import ArgumentParser
import CLIPModel
import Foundation

/// `--model` and `--arch`, shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model directory (open_clip or Hugging Face layout) or a state-dict file (.safetensors, .bin/.pt/.pth from torch.save, or an OpenAI TorchScript .pt).")
    var model: String

    @Option(help: "For a bare state-dict file: a preset name (ViT-B-32, RN50-quickgelu, …) or an open_clip config JSON; inferred from the weights when omitted.")
    var arch: String?

    func load() throws -> LoadedModel {
        try CLIPLoader.load(path: model, architecture: arch)
    }
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
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// A Float as the Double with the same shortest decimal form, so JSON shows "0.48145467", not the
/// binary expansion "0.48145467042922974".
func shortest(_ value: Float) -> Double {
    Double("\(value)") ?? Double(value)
}
