import Foundation

/// The result of a command that reports (as opposed to one that prints records): readable text on
/// standard output, or one JSON object with `--json`.
protocol Report: Encodable {
    /// The report for a person, ending without a newline.
    var text: String { get }
}
