import Foundation
import Testing

/// The README's command reference against `clip … --help`: every command is there, and every
/// option the README names exists.
@Suite("The README's command reference matches the commands", .serialized)
struct ReadmeReferenceTests {
    static let readme = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")

    /// The `clip …` lines of the "Command line" block, continuation lines joined to theirs.
    static func referenceLines() throws -> [String] {
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Command line").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```").dropFirst().first)
        var lines: [String] = []
        for line in block.split(separator: "\n").dropFirst() {   // the first line is the fence's "sh"
            let code = String(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if code.hasPrefix("clip ") { lines.append(code) } else if let last = lines.indices.last { lines[last] += " " + code }
        }
        return lines
    }

    static func help(_ words: [String]) throws -> String {
        String(decoding: try CLI.run(words + ["--help"]).stdout, as: UTF8.self)
    }

    @Test("every subcommand of clip --help is in the reference")
    func everyCommandListed() throws {
        let listed = Set(try Self.referenceLines().flatMap { line in
            line.components(separatedBy: " | ").compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        })
        let help = try Self.help([])
        let section = try #require(help.components(separatedBy: "SUBCOMMANDS:").last)
        // A command's line starts with two spaces; its wrapped description lines with more.
        let commands = section.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.first?.isLowercase == true }
        #expect(!commands.isEmpty)
        for command in commands { #expect(listed.contains(command), "clip \(command) is not in the README") }
    }

    @Test("every option the reference names exists in that command's --help")
    func everyOptionExists() throws {
        for line in try Self.referenceLines() {
            for usage in line.components(separatedBy: " | ") {
                let words = usage.split(separator: " ").map(String.init)
                var command = Array(words.dropFirst().prefix { $0.first?.isLetter == true && $0.lowercased() == $0 && !$0.contains(".") })
                if command.count > 2 { command = Array(command.prefix(2)) }
                guard let first = command.first else { continue }
                let help = try Self.help(first == "eval" || first == "cache" ? command : [first])
                let options = usage.matches(of: /--[a-z][a-z0-9-]*/).map { String($0.output) }
                for option in options {
                    #expect(help.contains(option), "clip \(command.joined(separator: " ")) has no \(option)")
                }
            }
        }
    }
}
