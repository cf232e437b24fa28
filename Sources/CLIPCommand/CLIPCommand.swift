import ArgumentParser
import CLIPFileSystem
import CLIPTensor
import Foundation

/// The `clip` command-line tool.
@main
struct CLIPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "CLIP image and text embeddings, natively in Swift.",
        version: Diagnostics.version,
        subcommands: [DoctorCommand.self, InfoCommand.self, EmbedCommand.self, SimilarityCommand.self, BenchCommand.self,
                      TokenizeCommand.self, PreprocessCommand.self, DownloadCommand.self, CacheCommand.self, ConvertCommand.self,
                      ClassifyCommand.self, EvalCommand.self, TrainCommand.self, TrainBenchCommand.self, DemoCommand.self, LinearProbeCommand.self,
                      IndexCommand.self, SearchCommand.self, DedupCommand.self, ServeCommand.self])

    /// Runs the command; an error from Foundation that no layer below put in words (a file, JSON)
    /// is described by `FailureReason` instead of as an `NSError` or `DecodingError` dump.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: Self.isFoundationError(error) ? UnexplainedFailure(reason: FailureReason.of(error)) : error)
        }
    }

    private static func isFoundationError(_ error: any Error) -> Bool {
        if error is DecodingError || error is EncodingError { return true }
        let domain = (error as NSError).domain
        return domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain
    }
}

/// A Foundation error that reached the top, in words.
struct UnexplainedFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
