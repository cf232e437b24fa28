import CLIPTestSupport
import Foundation
import Testing

/// `--precision` where the command line meets stored int8 weights and mixed-precision training.
@Suite("Precision on the command line")
struct PrecisionCommandTests {
    @Test("clip convert --dtype int8 writes a model that info reports as int8 and embed runs as --precision int8 does")
    func int8Checkpoint() throws {
        let folder = CommandFixtures.path("int8-\(UUID().uuidString)")
        let converted = try CLI.run(["convert", CommandFixtures.model, "--dtype", "int8", "--output-dir", folder])
        #expect(converted.status == 0, "\(converted.stderr)")
        let info = try JSONSerialization.jsonObject(with: try CLI.run(["info", "--model", folder, "--json"]).stdout) as? [String: Any]
        #expect(info?["precision"] as? String == "int8" && (info?["dtype"] as? String)?.contains("I8") == true, "\(String(describing: info))")

        let embed = ["embed", "--text", "a cat", "--image", CommandFixtures.image]
        let stored = try CLI.run(embed + ["--model", folder])
        let quantisedAtLoad = try CLI.run(embed + ["--model", CommandFixtures.model, "--precision", "int8"])
        let asF32 = try CLI.run(embed + ["--model", folder, "--precision", "f32"])
        #expect(stored.status == 0 && !stored.stdout.isEmpty && stored.stdout == quantisedAtLoad.stdout)
        #expect(asF32.status == 0 && asF32.stdout != stored.stdout)
        let hf = try CLI.run(["convert", CommandFixtures.model, "--dtype", "int8", "--layout", "hf", "--output-dir", folder + "-hf"])
        #expect(hf.status == 1 && hf.stderr.contains("openclip layout"))
    }

    @Test("clip train --precision amp_bf16 trains; a precision training does not take is a usage error")
    func mixedPrecisionTraining() throws {
        let data = CommandFixtures.data
        let output = CommandFixtures.path("amp-\(UUID().uuidString)")
        let arguments = ["train", "--model-config", data.config, "--train-data", data.captions, "--batch-size", "2", "--steps", "2",
                         "--warmup", "1", "--output-dir", output, "--json"]
        let trained = try CLI.run(arguments + ["--precision", "amp_bf16"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let report = try JSONSerialization.jsonObject(with: trained.stdout) as? [String: Any]
        #expect((report?["final_loss"] as? Double)?.isFinite == true)
        let wrong = try CLI.run(arguments + ["--precision", "int8"])
        #expect(wrong.status == 64 && wrong.stderr.contains("--precision"), "\(wrong.stderr)")
    }
}
