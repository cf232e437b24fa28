import CLIPModel
import CLIPOptim
import CLIPTensor
import Foundation

/// Where a run stands: enough to continue it exactly.
public struct TrainingProgress: Codable, Sendable, Equatable {
    /// Optimizer steps taken.
    public var step: Int
    public var epoch: Int
    /// The next position in the epoch's sample order.
    public var position: Int
    public var skippedSamples: Int
}

/// A checkpoint folder: `open_clip_config.json` + `open_clip_model.safetensors` (what open_clip and
/// `clip` load) and `training_state.safetensors` (AdamW moments as `adam.m.<name>` / `adam.v.<name>`,
/// the progress and options in its metadata). Written to a staging folder and renamed into place.
public enum TrainingCheckpoint {
    public static let stateFile = "training_state.safetensors"

    public static func write(_ loaded: LoadedModel, optimizer: AdamW, progress: TrainingProgress, options: TrainingOptions,
                             to folder: URL) throws {
        let manager = FileManager.default
        let staging = folder.deletingLastPathComponent().appendingPathComponent(".\(folder.lastPathComponent).partial-\(getpid())")
        try? manager.removeItem(at: staging)
        do {
            try ModelExporter.write(loaded, layout: .openCLIP, to: staging.path, dtype: .float32)
            var tensors: [String: Tensor] = [:]
            for (name, moments) in optimizer.moments {
                let shape = [moments.first.count]
                tensors["adam.m.\(name)"] = Tensor(shape: shape, scalars: moments.first)
                tensors["adam.v.\(name)"] = Tensor(shape: shape, scalars: moments.second)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let metadata = ["progress": String(decoding: try encoder.encode(progress), as: UTF8.self),
                            "options": String(decoding: try encoder.encode(options), as: UTF8.self),
                            "adam_steps": "\(optimizer.stepCount)"]
            try SafeTensorsWriter.write(tensors, metadata: metadata, to: staging.appendingPathComponent(stateFile).path)
            if manager.fileExists(atPath: folder.path) { try manager.removeItem(at: folder) }
            try manager.moveItem(at: staging, to: folder)
        } catch {
            try? manager.removeItem(at: staging)
            throw TrainingError.checkpoint(path: folder.path, reason: "cannot write: \(error)")
        }
    }

    /// The saved state of a checkpoint folder: progress, options, AdamW moments and step count.
    public static func readState(_ folder: URL) throws -> (progress: TrainingProgress, options: TrainingOptions,
                                                           moments: [String: AdamW.Moments], adamSteps: Int) {
        let path = folder.appendingPathComponent(stateFile).path
        do {
            let file = try SafeTensorsFile(path: path)
            let decoder = JSONDecoder()
            guard let progressText = file.metadata["progress"], let optionsText = file.metadata["options"],
                  let steps = file.metadata["adam_steps"].flatMap(Int.init) else {
                throw TrainingError.checkpoint(path: path, reason: "the training state lacks its progress or options")
            }
            let progress = try decoder.decode(TrainingProgress.self, from: Data(progressText.utf8))
            let options = try decoder.decode(TrainingOptions.self, from: Data(optionsText.utf8))
            var moments: [String: AdamW.Moments] = [:]
            for name in file.names where name.hasPrefix("adam.m.") {
                let parameter = String(name.dropFirst("adam.m.".count))
                moments[parameter] = AdamW.Moments(first: try file.tensor(name).scalars, second: try file.tensor("adam.v.\(parameter)").scalars)
            }
            return (progress, options, moments, steps)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.checkpoint(path: path, reason: "\(error)")
        }
    }

    /// `DIR` itself when it is a checkpoint, else its newest `checkpoints/step_N`.
    public static func locate(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        if FileManager.default.fileExists(atPath: url.appendingPathComponent(stateFile).path) { return url }
        let folder = url.appendingPathComponent("checkpoints")
        let steps = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .compactMap { name -> (Int, String)? in name.hasPrefix("step_") ? Int(name.dropFirst(5)).map { ($0, name) } : nil }
        guard let latest = steps.max(by: { $0.0 < $1.0 }) else {
            throw TrainingError.checkpoint(path: path, reason: "neither a checkpoint (\(stateFile)) nor a run folder with checkpoints/step_N")
        }
        return folder.appendingPathComponent(latest.1)
    }
}
