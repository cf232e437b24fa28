@testable import CLIPCommand
import Foundation
import Testing

@Suite("clip doctor")
struct DoctorCommandTests {
    @Test("the JSON report has the documented keys and plausible values")
    func jsonReport() throws {
        let report = DoctorReport.collect(gemmSize: 128)
        let object = try #require(try JSONSerialization.jsonObject(with: try JSONOutput.encode(report, pretty: false)) as? [String: Any])
        for key in ["version", "blas", "gemm", "threads", "gemm_gflops", "cores", "simd"] {
            #expect(object[key] != nil, "missing key \(key)")
        }
        #expect((object["threads"] as? Int ?? 0) >= 1)
        #expect((object["gemm_gflops"] as? Double ?? 0) > 0)
        #expect((object["blas"] as? String ?? "").isEmpty == false)
    }

    @Test("every precision is listed with its kernel and a measured rate; forcing SSE4.1 in oneDNN falls back to f32 for auto")
    func precisions() throws {
        let outcome = try CLI.run(["doctor", "--json", "--gemm-size", "64"], environment: ["ONEDNN_MAX_CPU_ISA": "SSE41"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
        #expect((object["onednn_isa"] as? String ?? "").contains("SSE41 (limited by ONEDNN_MAX_CPU_ISA=SSE41)"))
        #expect(object["auto_precision"] as? String == "f32")
        let entries = try #require(object["precisions"] as? [[String: Any]])
        #expect(entries.compactMap { $0["precision"] as? String } == ["f32", "bf16", "int8"])
        for entry in entries {
            #expect((entry["gflops"] as? Double ?? 0) > 0, "\(entry)")
            #expect((entry["accelerated"] as? Bool) == (entry["precision"] as? String == "f32"), "\(entry)")
            #expect((entry["kernel"] as? String ?? "").isEmpty == false)
        }
    }

    @Test("the text report names the BLAS library and the GEMM speed")
    func textReport() {
        let text = DoctorReport.collect(gemmSize: 64).text
        #expect(text.contains("BLAS:"))
        #expect(text.contains("GFLOP/s"))
    }

    @Test("options parse, and an out-of-range GEMM size is refused")
    func parsing() throws {
        let command = try #require(try CLIPCommand.parseAsRoot(["doctor", "--json"]) as? DoctorCommand)
        #expect(command.report.json)
        #expect(throws: (any Error).self) { try CLIPCommand.parseAsRoot(["doctor", "--gemm-size", "0"]) }
    }
}
