import ArgumentParser
import CLIPTensor
import Foundation

/// `clip doctor`: what this build runs on and how fast its matrix products are.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report the version, BLAS library, threads, SIMD features and measured GEMM speed.")

    @Option(help: "Side of the square GEMM that is timed.")
    var gemmSize = 1024

    @OptionGroup var report: ReportOptions

    func validate() throws {
        guard (16...8192).contains(gemmSize) else {
            throw ValidationError("--gemm-size must be between 16 and 8192, got \(gemmSize)")
        }
    }

    func run() throws {
        try report.emit(DoctorReport.collect(gemmSize: gemmSize))
    }
}
