import CLIPFileSystem
import CLIPModel
import CLIPOptim
import CLIPTensor
import Foundation

/// Where a run stands: enough to continue it exactly.
public struct TrainingProgress: Codable, Sendable, Equatable {
    /// Optimizer steps taken.
    public var step: Int
    /// The epoch the next batch comes from.
    public var epoch: Int
    /// The next position in the epoch's sample order.
    public var position: Int
    /// Unreadable samples skipped so far.
    public var skippedSamples: Int
}

/// A checkpoint folder: `open_clip_config.json` + `open_clip_model.safetensors` (what open_clip and
/// `clip` load; LoRA adapters merged into the weights) and `training_state.safetensors` (AdamW
/// moments as `adam.m.<name>` / `adam.v.<name>`, LoRA adapters as `lora.<name>`, the progress,
/// options and LoRA base model in its metadata). Written to a staging folder and renamed into place.
public enum TrainingCheckpoint {
    /// The training state's file name in a checkpoint folder.
    public static let stateFile = "training_state.safetensors"

    /// The saved state of a checkpoint folder.
    public struct State {
        /// Where the run stood.
        public var progress: TrainingProgress
        /// The run's settings.
        public var options: TrainingOptions
        /// AdamW's moments by parameter name.
        public var moments: [String: AdamW.Moments]
        /// AdamW's step count.
        public var adamSteps: Int
        /// LoRA adapter tensors by name (`<layer>.lora_A.weight`).
        public var adapters: [String: Tensor]
        /// The model reference a LoRA run started from.
        public var baseModel: String?
    }

    /// Writes the model (open_clip layout) and the training state into `folder`, atomically.
    public static func write(_ loaded: LoadedModel, optimizer: AdamW, progress: TrainingProgress, options: TrainingOptions,
                             adapters: [AttachedAdapter] = [], baseModel: String? = nil, to folder: URL) throws {
        let manager = FileManager.default
        let parent = folder.deletingLastPathComponent()
        AbandonedFiles.removeAbandoned(in: parent)
        let staging = parent.appendingPathComponent(AbandonedFiles.stagingName(for: folder.lastPathComponent))
        try? manager.removeItem(at: staging)
        do {
            try loaded.model.withMergedAdapters { try ModelExporter.write(loaded, layout: .openCLIP, to: staging.path, dtype: .float32) }
            var tensors: [String: Tensor] = [:]
            for attached in adapters {
                for (name, parameter) in attached.namedParameters { tensors["lora.\(name)"] = parameter.wrappedValue }
            }
            for (name, moments) in optimizer.moments {
                let shape = [moments.first.count]
                tensors["adam.m.\(name)"] = Tensor(shape: shape, scalars: moments.first)
                tensors["adam.v.\(name)"] = Tensor(shape: shape, scalars: moments.second)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            var metadata = ["progress": String(decoding: try encoder.encode(progress), as: UTF8.self),
                            "options": String(decoding: try encoder.encode(options), as: UTF8.self),
                            "adam_steps": "\(optimizer.stepCount)"]
            if let baseModel { metadata["base_model"] = baseModel }
            try SafeTensorsWriter.write(tensors, metadata: metadata, to: staging.appendingPathComponent(stateFile).path)
            if manager.fileExists(atPath: folder.path) {
                // Rewriting a step (a resumed run ending where it began): the old copy moves aside
                // first, so a kill in between leaves the other steps and this one's staging intact.
                let replaced = parent.appendingPathComponent(AbandonedFiles.stagingName(for: folder.lastPathComponent, suffix: "-replaced"))
                try? manager.removeItem(at: replaced)
                try manager.moveItem(at: folder, to: replaced)
                try manager.moveItem(at: staging, to: folder)
                try? manager.removeItem(at: replaced)
            } else {
                try manager.moveItem(at: staging, to: folder)
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw TrainingError.checkpoint(path: folder.path, reason: "cannot write: \(FailureReason.of(error))")
        }
    }

    /// The saved state of a checkpoint folder.
    public static func readState(_ folder: URL) throws -> State {
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
            var adapters: [String: Tensor] = [:]
            for name in file.names where name.hasPrefix("lora.") { adapters[String(name.dropFirst(5))] = try file.tensor(name).copied() }
            return State(progress: progress, options: options, moments: moments, adamSteps: steps, adapters: adapters,
                         baseModel: file.metadata["base_model"])
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.checkpoint(path: path, reason: FailureReason.of(error))
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

    /// How far the checkpoint's merged weights may be from base + adapter: one rounding of the sum in
    /// float32, relative to the weight's largest magnitude, with room for a few ulps.
    static let mergeTolerance: Float = 1e-6

    /// Puts a checkpoint's adapter tensors into `adapters` and checks that the model they are attached
    /// to is the base the run started from: base + adapter must give the checkpoint's merged weights.
    static func restoreAdapters(_ adapters: [AttachedAdapter], from saved: [String: Tensor], checkpoint folder: URL) throws {
        guard !adapters.isEmpty else { return }
        let path = folder.appendingPathComponent("open_clip_model.safetensors").path
        do {
            let merged = try SafeTensorsFile(path: path)
            for attached in adapters {
                for (name, parameter) in attached.namedParameters {
                    guard let tensor = saved[name], tensor.shape == parameter.wrappedValue.shape else {
                        throw TrainingError.checkpoint(path: folder.path, reason: "the training state lacks LoRA tensor '\(name)' of the shape this run uses")
                    }
                    parameter.wrappedValue.assign(tensor)
                }
            }
            for attached in adapters {
                let saved = try merged.tensor(attached.weightName)
                let rebuilt = attached.adapter.merged(into: attached.weight.wrappedValue)
                let scale = max(1, saved.scalars.map(abs).max() ?? 0)
                let difference = zip(rebuilt.scalars, saved.scalars).map { abs($0 - $1) }.max() ?? 0
                guard difference <= mergeTolerance * scale else {
                    throw TrainingError.checkpoint(path: folder.path, reason:
                        "the model given is not the base this LoRA run started from: '\(attached.weightName)' differs by \(difference)")
                }
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.checkpoint(path: path, reason: FailureReason.of(error))
        }
    }
}
