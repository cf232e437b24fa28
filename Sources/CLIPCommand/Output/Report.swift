import ArgumentParser
import CLIPTensor
import Foundation

/// The result of a command that reports (as opposed to one that prints records): readable text on
/// standard output, or one JSON object with `--json`.
protocol Report: Encodable {
    /// The report for a person, ending without a newline.
    var text: String { get }
}

/// `--json` and `--output`, shared by every command whose result is a report.
struct ReportOptions: ParsableArguments {
    @Flag(help: "Print the report as one JSON object instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Also write the report as JSON to this file (atomically).", valueName: "file"))
    var output: String?

    /// Prints `report` as text (or JSON with `--json`) and writes its JSON to `--output`.
    func emit<R: Report>(_ report: R) throws {
        if let output {
            let json = try JSONOutput.encode(report, pretty: true) + Data("\n".utf8)
            try AtomicFile.write(to: output) { try $0.write(contentsOf: json) }
        }
        let line = json ? String(decoding: try JSONOutput.encode(report, pretty: false), as: UTF8.self) : report.text
        StandardStreams.printResult(line)
    }
}

/// `--output` for commands whose result is records (JSON Lines): standard output by default.
struct RecordOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the records to this file (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    /// Writes one JSON object per record, one per line, to `--output` or standard output.
    func emit<Record: Encodable>(_ records: [Record]) throws {
        var data = Data()
        for record in records { data += try JSONOutput.encode(record, pretty: false) + Data("\n".utf8) }
        if let output {
            try AtomicFile.write(to: output) { try $0.write(contentsOf: data) }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

/// The one JSON style of the command line: keys sorted, slashes unescaped, floats in their shortest
/// form (`0.48145467`, not `0.48145467042922974`).
enum JSONOutput {
    static func encode<T: Encodable>(_ value: T, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }
}

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
