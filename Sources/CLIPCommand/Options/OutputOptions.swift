import ArgumentParser
import CLIPTensor
import Foundation

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
        let data = try JSONOutput.lines(records)
        if let output {
            try AtomicFile.write(to: output) { try $0.write(contentsOf: data) }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
