#if os(Linux)
import CLIPTensor
import CLIPTestSupport
import CLIPTraining
import Foundation
import Testing

/// `mpirun -np 2 clip train` on this machine against one process with the same global batch.
///
/// Two ranks add the same numbers in another order (the loss over rows split between ranks, gradients
/// summed by MPI), so results differ in float32's last bits: the losses, relatively, by 1e-6 at most in
/// the runs measured, and the weights by at most 2e-6 absolutely, the largest in the attention's key
/// biases, whose true gradient is zero (softmax ignores a shift) so that AdamW scales summation noise up
/// to its step size. The tolerances leave room for 5× that and stay a hundredth of one learning-rate
/// step (1e-3): a missed gradient term, a wrong slice or a doubled sum moves them by whole steps.
@Suite("Distributed training over MPI", .serialized)
struct DistributedTrainingTests {
    /// Tolerance on each step's loss, relative.
    static let lossTolerance: Float = 1e-5
    /// Tolerance on every trained weight, absolute (a hundredth of a learning-rate step).
    static let weightTolerance: Float = 1e-5

    static let mpirun = "/usr/bin/mpirun"

    /// Shapes data (64 captioned images and one unreadable row, which some rank meets first and the
    /// ranks then replace together) and a tiny model configuration, with and without SigLIP's bias.
    static let fixture: (data: String, clipConfig: String, sigLIPConfig: String) = {
        let root = temporaryDirectory("distributed-training")
        let table = try! SyntheticShapes.write(count: 64, seed: 5, to: root, name: "train")
        var rows = try! String(contentsOf: table, encoding: .utf8)
        rows += "images/not-there.jpg\ta picture that is missing\tcircle\tred\t1\n"
        try! Data(rows.utf8).write(to: table)
        let model = #""embed_dim": 16, "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8, "head_width": 16}, "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}"#
        let clip = root.appendingPathComponent("clip.json"), sigLIP = root.appendingPathComponent("siglip.json")
        try! Data("{\(model)}".utf8).write(to: clip)
        try! Data("{\"init_logit_bias\": -10, \(model)}".utf8).write(to: sigLIP)
        return (table.path, clip.path, sigLIP.path)
    }()

    static func arguments(config: String, output: URL, extra: [String]) -> [String] {
        ["train", "--model-config", config, "--train-data", fixture.data, "--batch-size", "8", "--steps", "6", "--lr", "1e-3",
         "--warmup", "2", "--seed", "7", "--grad-clip-norm", "1", "--save-every", "3", "--output-dir", output.path] + extra
    }

    /// `clip` as `ranks` MPI ranks, ready to start, its standard output discarded.
    static func mpirunProcess(ranks: Int, _ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", CLI.binary.path] + arguments
        process.standardOutput = FileHandle.nullDevice
        return process
    }

    /// Runs `clip` as `ranks` MPI ranks; returns the exit status and standard error.
    static func mpirun(ranks: Int, _ arguments: [String]) throws -> CLI.Outcome {
        let process = mpirunProcess(ranks: ranks, arguments)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Outcome(status: process.terminationStatus, stdout: Data(), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func losses(_ run: URL) throws -> [Float] {
        try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return Float(try #require(object["loss"] as? Double))
        }
    }

    static func expectSameLosses(_ a: [Float], _ b: [Float], _ label: String) {
        #expect(a.count == b.count, "\(label): \(a.count) against \(b.count) steps")
        for (step, (x, y)) in zip(a, b).enumerated() {
            #expect(abs(x - y) <= lossTolerance * abs(x), "\(label): step \(step + 1) loss \(x) against \(y)")
        }
    }

    static func expectSameWeights(_ a: URL, _ b: URL, _ label: String) throws {
        let first = try SafeTensorsFile(path: a.appendingPathComponent("open_clip_model.safetensors").path)
        let second = try SafeTensorsFile(path: b.appendingPathComponent("open_clip_model.safetensors").path)
        #expect(first.names == second.names)
        var worst: (difference: Float, name: String) = (0, "")
        for name in first.names {
            let x = try first.tensor(name).scalars, y = try second.tensor(name).scalars
            for (u, v) in zip(x, y) where abs(u - v) > worst.difference { worst = (abs(u - v), name) }
        }
        #expect(worst.difference <= weightTolerance, "\(label): \(worst.name) differs by \(worst.difference)")
    }

    @Test("2 ranks compute the losses and weights of one process with the same global batch: CLIP and SigLIP loss, with and without --accum-freq",
          arguments: [("clip", 1), ("clip", 2), ("siglip", 1), ("siglip", 2)])
    func ranksEqualOneProcess(loss: String, accumulation: Int) throws {
        let root = temporaryDirectory("distributed-\(loss)-\(accumulation)")
        let config = loss == "siglip" ? Self.fixture.sigLIPConfig : Self.fixture.clipConfig
        let extra = ["--loss", loss, "--accum-freq", "\(accumulation)"]
        let alone = root.appendingPathComponent("alone"), ranks = root.appendingPathComponent("ranks")
        let single = try CLI.run(Self.arguments(config: config, output: alone, extra: extra))
        #expect(single.status == 0, "\(single.stderr)")
        let distributed = try Self.mpirun(ranks: 2, Self.arguments(config: config, output: ranks, extra: extra))
        #expect(distributed.status == 0, "\(distributed.stderr)")
        #expect(distributed.stderr.contains("training on 2 ranks"), "\(distributed.stderr)")
        Self.expectSameLosses(try Self.losses(alone), try Self.losses(ranks), "\(loss), accum \(accumulation)")
        try Self.expectSameWeights(alone.appendingPathComponent("checkpoints/step_000006"),
                                   ranks.appendingPathComponent("checkpoints/step_000006"), "\(loss), accum \(accumulation)")
    }

    @Test("3 ranks equal one process: SigLIP's text chunks and their gradients pass through a middle rank",
          arguments: ["clip", "siglip"])
    func threeRanks(loss: String) throws {
        let root = temporaryDirectory("distributed-three-\(loss)")
        let config = loss == "siglip" ? Self.fixture.sigLIPConfig : Self.fixture.clipConfig
        let alone = root.appendingPathComponent("alone"), ranks = root.appendingPathComponent("ranks")
        var arguments = Self.arguments(config: config, output: alone, extra: ["--loss", loss])
        arguments[arguments.firstIndex(of: "8")!] = "12"   // the global batch, 4 per rank
        #expect(try CLI.run(arguments).status == 0)
        arguments[arguments.firstIndex(of: alone.path)!] = ranks.path
        let distributed = try Self.mpirun(ranks: 3, arguments)
        #expect(distributed.status == 0, "\(distributed.stderr)")
        Self.expectSameLosses(try Self.losses(alone), try Self.losses(ranks), "\(loss), 3 ranks")
        try Self.expectSameWeights(alone.appendingPathComponent("checkpoints/step_000006"),
                                   ranks.appendingPathComponent("checkpoints/step_000006"), "\(loss), 3 ranks")
    }

    @Test("LiT, LoRA and distillation on 2 ranks equal one process")
    func fineTuningOnRanks() throws {
        let root = temporaryDirectory("distributed-fine-tuning")
        let teacher = root.appendingPathComponent("teacher")
        #expect(try CLI.run(Self.arguments(config: Self.fixture.clipConfig, output: teacher, extra: [])).status == 0)
        let teacherCheckpoint = teacher.appendingPathComponent("checkpoints/step_000006").path
        for (label, extra) in [("lit", ["--lock-image"]), ("lora", ["--lora-rank", "2"]), ("distill", ["--distill", teacherCheckpoint])] {
            let alone = root.appendingPathComponent("\(label)-alone"), ranks = root.appendingPathComponent("\(label)-ranks")
            var arguments = Self.arguments(config: Self.fixture.clipConfig, output: alone, extra: extra)
            if label != "distill" {
                arguments[1...2] = ["--model", teacherCheckpoint]
            }
            #expect(try CLI.run(arguments).status == 0, "\(label)")
            arguments[arguments.firstIndex(of: alone.path)!] = ranks.path
            let distributed = try Self.mpirun(ranks: 2, arguments)
            #expect(distributed.status == 0, "\(label): \(distributed.stderr)")
            Self.expectSameLosses(try Self.losses(alone), try Self.losses(ranks), label)
            try Self.expectSameWeights(alone.appendingPathComponent("checkpoints/step_000006"),
                                       ranks.appendingPathComponent("checkpoints/step_000006"), label)
        }
    }

    @Test("a checkpoint of 2 ranks resumes on 1, and one of 1 on 2, with the uninterrupted run's losses")
    func resumeAcrossRankCounts() throws {
        let root = temporaryDirectory("distributed-resume")
        let config = Self.fixture.clipConfig
        let uninterrupted = root.appendingPathComponent("uninterrupted")
        #expect(try CLI.run(Self.arguments(config: config, output: uninterrupted, extra: [])).status == 0)
        let expected = Array(try Self.losses(uninterrupted).suffix(3))

        let twoRanks = root.appendingPathComponent("two"), onto1 = root.appendingPathComponent("onto-one")
        #expect(try Self.mpirun(ranks: 2, Self.arguments(config: config, output: twoRanks, extra: [])).status == 0)
        let resumed1 = try CLI.run(Self.arguments(config: config, output: onto1,
                                                  extra: ["--resume", twoRanks.appendingPathComponent("checkpoints/step_000003").path]))
        #expect(resumed1.status == 0, "\(resumed1.stderr)")
        Self.expectSameLosses(expected, try Self.losses(onto1), "2 → 1 ranks")

        let oneRank = root.appendingPathComponent("one"), onto2 = root.appendingPathComponent("onto-two")
        #expect(try CLI.run(Self.arguments(config: config, output: oneRank, extra: [])).status == 0)
        let resumed2 = try Self.mpirun(ranks: 2, Self.arguments(config: config, output: onto2,
                                                               extra: ["--resume", oneRank.appendingPathComponent("checkpoints/step_000003").path]))
        #expect(resumed2.status == 0, "\(resumed2.stderr)")
        Self.expectSameLosses(expected, try Self.losses(onto2), "1 → 2 ranks")
        try Self.expectSameWeights(uninterrupted.appendingPathComponent("checkpoints/step_000006"),
                                   onto2.appendingPathComponent("checkpoints/step_000006"), "1 → 2 ranks")
    }

    @Test("a rank killed mid-run ends the job within a bounded time with a non-zero exit, and the last checkpoint still loads")
    func killedRankEndsTheJob() throws {
        let root = temporaryDirectory("distributed-kill")
        let run = root.appendingPathComponent("run")
        var arguments = Self.arguments(config: Self.fixture.clipConfig, output: run, extra: [])
        arguments[arguments.firstIndex(of: "6")!] = "100000"
        arguments[arguments.firstIndex(of: "3")!] = "2"
        let process = Self.mpirunProcess(ranks: 2, arguments)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let metrics = run.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? String(contentsOf: metrics, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 5 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let rank1 = try #require(Self.rank(1, amongChildrenOf: process.processIdentifier), "rank 1 not found")
        kill(rank1, SIGKILL)
        let killed = Date()
        while process.isRunning, Date().timeIntervalSince(killed) < 60 { Thread.sleep(forTimeInterval: 0.05) }
        let running = process.isRunning
        if running { process.terminate() }
        process.waitUntilExit()
        #expect(!running, "the job still ran 60 s after rank 1 was killed")
        #expect(process.terminationStatus != 0)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path)
            .filter { $0.hasPrefix("step_") }.sorted()
        let last = try #require(checkpoints.last)
        let outcome = try CLI.run(["info", "--model", run.appendingPathComponent("checkpoints/\(last)").path])
        #expect(outcome.status == 0, "\(last): \(outcome.stderr)")
    }

    @Test("an error on one rank (rank 0 cannot write its run folder) ends every rank with a message naming it")
    func failingRankEndsTheJob() throws {
        let root = temporaryDirectory("distributed-error")
        let blocker = root.appendingPathComponent("a-file")
        try Data("not a folder".utf8).write(to: blocker)
        let started = Date()
        let outcome = try Self.mpirun(ranks: 2, Self.arguments(config: Self.fixture.clipConfig,
                                                               output: blocker.appendingPathComponent("run"), extra: []))
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("error: rank 0 of 2"), "\(outcome.stderr)")
        #expect(Date().timeIntervalSince(started) < 60)
    }

    /// The process among `parent`'s descendants that MPI started as rank `rank`.
    static func rank(_ rank: Int, amongChildrenOf parent: Int32) -> Int32? {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in processes {
            guard let pid = Int32(name),
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  descends(pid, from: parent) else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    static func descends(_ pid: Int32, from ancestor: Int32) -> Bool {
        var current = pid
        for _ in 0..<8 {
            guard let stat = try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = Int32(fields[1]) else { return false }
            if parent == ancestor { return true }
            current = parent
        }
        return false
    }
}
#endif
