import CLIPModel
import CLIPNN
import CLIPTensor

/// Settings of LoRA fine-tuning: adapters of rank `rank` on the attention input and output
/// projections and both MLP layers of every transformer block in the chosen towers; everything else
/// is frozen.
public struct LoRAOptions: Sendable, Codable, Equatable {
    /// The towers whose blocks get adapters.
    public enum Towers: String, Sendable, Codable, CaseIterable {
        case both, image, text
    }

    /// The rank of every adapter.
    public var rank: Int
    /// The adapters' output is scaled by `alpha / rank`; by default `alpha` = `rank` (a factor of 1).
    public var alpha: Float
    /// Dropout on the adapters' input during training.
    public var dropout: Float = 0
    /// The towers that get adapters.
    public var towers: Towers = .both

    /// LoRA settings; `alpha` defaults to `rank`.
    public init(rank: Int, alpha: Float? = nil, dropout: Float = 0, towers: Towers = .both) {
        self.rank = rank
        self.alpha = alpha ?? Float(rank)
        self.dropout = dropout
        self.towers = towers
    }

    func validate() throws {
        guard rank >= 1 else { throw TrainingError.invalidOption("--lora-rank must be at least 1") }
        guard alpha > 0, alpha.isFinite else { throw TrainingError.invalidOption("--lora-alpha must be positive") }
        guard (0..<1).contains(dropout) else { throw TrainingError.invalidOption("--lora-dropout must be in [0, 1)") }
    }
}

/// A LoRA adapter with the weight it updates and the name of that weight in the state dict.
public struct AttachedAdapter {
    /// The adapted layer's name, such as `visual.transformer.resblocks.0.attn.in_proj`; the adapter's
    /// tensors are `<name>.lora_A.weight` and `<name>.lora_B.weight` (peft's names).
    public let name: String
    /// The state-dict name of the weight the adapter is merged into.
    public let weightName: String
    /// The adapter.
    public let adapter: LowRankAdapter
    /// The base weight's slot.
    public let weight: Parameter

    /// The adapter's A and B, named `<layer>.lora_A.weight` / `lora_B.weight` as peft names them.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("\(name).lora_A.weight", adapter.down), ("\(name).lora_B.weight", adapter.up)]
    }
}

extension CLIP {
    /// Adds LoRA adapters to every transformer block of the chosen towers (attention `in_proj`,
    /// `out_proj`, MLP `c_fc`, `c_proj`) and freezes every parameter of the model: only the adapters
    /// train. Adapter `i` is initialised from `seed` and `i`, so the same seed gives the same adapters.
    @discardableResult
    public func attachLowRankAdapters(_ options: LoRAOptions, seed: UInt64) throws -> [AttachedAdapter] {
        try options.validate()
        guard lowRankAdapters.isEmpty else { throw TrainingError.invalidOption("this model already has LoRA adapters") }
        let chosen = namedModules().filter { name, module in
            guard module is ResidualAttentionBlock || module is any LinearLayerBlock else { return false }
            switch options.towers {
            case .both: return true
            case .image: return name.hasPrefix("visual.")
            case .text: return !name.hasPrefix("visual.")
            }
        }.map(\.module)
        let blocks = chosen.compactMap { $0 as? ResidualAttentionBlock }
        let linearBlocks = chosen.compactMap { $0 as? any LinearLayerBlock }
        if options.towers != .text && configuration.vision.isResNet {
            throw TrainingError.invalidOption("LoRA adapts transformer blocks, and a ModifiedResNet image tower has none (use --lora-towers text)")
        }
        guard !chosen.isEmpty else { throw TrainingError.invalidOption("the model has no transformer blocks for LoRA") }
        for (_, parameter) in namedParameters() { parameter.wrappedValue.requiresGrad = false }
        var index: UInt64 = 0
        func make(_ inFeatures: Int, _ outFeatures: Int) -> LowRankAdapter {
            index += 1
            let adapter = LowRankAdapter(inFeatures: inFeatures, outFeatures: outFeatures, rank: options.rank, alpha: options.alpha,
                                         dropout: options.dropout, seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ index)
            adapter.down.wrappedValue.requiresGrad = true
            adapter.up.wrappedValue.requiresGrad = true
            return adapter
        }
        for block in blocks {
            let attention = block.attention, mlp = block.mlp
            let width = attention.outProjection.weight.shape[0]
            attention.inProjectionAdapter = make(width, 3 * width)
            attention.outProjection.adapter = make(width, width)
            mlp.fc.adapter = make(width, mlp.fc.weight.shape[0])
            mlp.projection.adapter = make(mlp.projection.weight.shape[1], width)
        }
        for block in linearBlocks {
            for (_, layer) in block.linearLayers { layer.adapter = make(layer.weight.shape[1], layer.weight.shape[0]) }
        }
        return lowRankAdapters
    }

    /// The adapters attached to this model, in block order.
    public var lowRankAdapters: [AttachedAdapter] {
        let parameters = Dictionary(namedParameters().map { ($0.name, $0.parameter) }, uniquingKeysWith: { first, _ in first })
        return namedModules().flatMap { name, module -> [AttachedAdapter] in
            if let block = module as? any LinearLayerBlock {
                return block.linearLayers.compactMap { target, layer in
                    layer.adapter.map {
                        AttachedAdapter(name: "\(name).\(target)", weightName: "\(name).\(target).weight", adapter: $0,
                                        weight: parameters["\(name).\(target).weight"]!)
                    }
                }
            }
            guard let block = module as? ResidualAttentionBlock else { return [] }
            let attention = block.attention, mlp = block.mlp
            let candidates: [(String, String, LowRankAdapter?)] = [
                ("attn.in_proj", "attn.in_proj_weight", attention.inProjectionAdapter),
                ("attn.out_proj", "attn.out_proj.weight", attention.outProjection.adapter),
                ("mlp.c_fc", "mlp.c_fc.weight", mlp.fc.adapter),
                ("mlp.c_proj", "mlp.c_proj.weight", mlp.projection.adapter),
            ]
            return candidates.compactMap { target, weightName, adapter in
                adapter.map {
                    AttachedAdapter(name: "\(name).\(target)", weightName: "\(name).\(weightName)", adapter: $0,
                                    weight: parameters["\(name).\(weightName)"]!)
                }
            }
        }
    }

    /// Runs `body` (writing a checkpoint, say) with every adapter folded into its weight
    /// (`W + (α/r)·B·A`) and the adapters detached, so the model is a plain one that open_clip and
    /// `clip` load without LoRA; then restores the base weights and adapters exactly.
    public func withMergedAdapters<T>(_ body: () throws -> T) rethrows -> T {
        let attached = lowRankAdapters
        guard !attached.isEmpty else { return try body() }
        let originals = attached.map(\.weight.wrappedValue)
        for (item, original) in zip(attached, originals) { item.weight.wrappedValue = item.adapter.merged(into: original) }
        setAdapters(nil)
        defer {
            for (item, original) in zip(attached, originals) { item.weight.wrappedValue = original }
            setAdapters(attached)
        }
        return try body()
    }

    /// Detaches every adapter (nil) or reattaches those listed.
    private func setAdapters(_ attached: [AttachedAdapter]?) {
        let byName = Dictionary((attached ?? []).map { ($0.name, $0.adapter) }, uniquingKeysWith: { first, _ in first })
        for (name, module) in namedModules() {
            guard let block = module as? ResidualAttentionBlock else { continue }
            block.attention.inProjectionAdapter = byName["\(name).attn.in_proj"]
            block.attention.outProjection.adapter = byName["\(name).attn.out_proj"]
            block.mlp.fc.adapter = byName["\(name).mlp.c_fc"]
            block.mlp.projection.adapter = byName["\(name).mlp.c_proj"]
        }
    }

    /// Runs `body` with every adapter's dropout off (evaluation), then restores it.
    public func withAdaptersInInferenceMode<T>(_ body: () throws -> T) rethrows -> T {
        let adapters = lowRankAdapters.map(\.adapter)
        adapters.forEach { $0.isTraining = false }
        defer { adapters.forEach { $0.isTraining = true } }
        return try body()
    }
}
