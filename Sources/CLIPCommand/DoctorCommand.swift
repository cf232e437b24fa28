import ArgumentParser
import CLIPTensor
import Foundation

/// `clip doctor`: what this build runs on and how fast its matrix products are.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report the version, BLAS library, threads, SIMD features and measured GEMM speed.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Side of the square GEMM that is timed.")
    var gemmSize = 1024

    func validate() throws {
        guard (16...8192).contains(gemmSize) else {
            throw ValidationError("--gemm-size must be between 16 and 8192, got \(gemmSize)")
        }
    }

    func run() throws {
        let report = DoctorReport.collect(gemmSize: gemmSize)
        print(json ? try report.jsonString() : report.text)
    }
}
