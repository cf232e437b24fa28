import Foundation

/// Results go to standard output; diagnostics and progress to standard error.
enum StandardStreams {
    /// A result line on standard output.
    static func printResult(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A diagnostic line on standard error (clearing a progress bar being drawn there).
    static func printDiagnostic(_ text: String) {
        ProgressRenderer.shared.interrupt()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// A failure found while a command runs (exit status 1); usage errors are `ValidationError` (64).
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
