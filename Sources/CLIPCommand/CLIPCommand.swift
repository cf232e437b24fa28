import ArgumentParser
import CLIPTensor

/// The `clip` command-line tool.
@main
struct CLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "CLIP image and text embeddings, natively in Swift.",
        version: Diagnostics.version,
        subcommands: [DoctorCommand.self, InfoCommand.self, EmbedCommand.self, SimilarityCommand.self, BenchCommand.self,
                      TokenizeCommand.self, PreprocessCommand.self, DownloadCommand.self, CacheCommand.self, ConvertCommand.self,
                      ClassifyCommand.self, EvalCommand.self, TrainCommand.self, TrainBenchCommand.self, DemoCommand.self, LinearProbeCommand.self])
}
