import CLIPTensor

/// The architecture of a bare open_clip / OpenAI state dict, read from its tensor shapes as OpenAI's
/// `build_model` reads them. The activation cannot be seen in the weights; OpenAI's models (the
/// common source of bare checkpoints) use QuickGELU, so that is assumed unless an architecture is named.
enum ArchitectureInference {
    static func configuration(of file: TensorArchive) throws -> CLIPConfiguration {
        /// The shape of `key`, which must have `rank` dimensions of 1…2³¹ − 1 each: every size read
        /// here comes from the file, and is checked before any arithmetic uses it.
        func shape(_ key: String, rank: Int) throws -> [Int] {
            guard let shape = file.shape(of: key) else {
                throw ModelError.cannotInferArchitecture(path: file.path, reason: "tensor '\(key)' is missing")
            }
            guard shape.count == rank, shape.allSatisfy({ (1...Int(Int32.max)).contains($0) }) else {
                throw ModelError.cannotInferArchitecture(path: file.path, reason: "tensor '\(key)' has shape \(shape); expected \(rank) positive dimensions")
            }
            return shape
        }
        /// The side of a square grid of `positions − 1` tokens (a class or mean token comes first).
        func gridSide(_ positions: Int, _ description: String) throws -> Int {
            let grid = Int(Double(positions - 1).squareRoot().rounded())
            guard positions > 1, grid * grid + 1 == positions else {
                throw ModelError.cannotInferArchitecture(path: file.path, reason: "\(description) of \(positions) rows is not a square grid plus one")
            }
            return grid
        }
        func distinct(_ prefix: String, field: Int) -> Int {
            Set(file.names.filter { $0.hasPrefix(prefix) }.compactMap { name -> Substring? in
                let parts = name.split(separator: ".")
                return parts.count > field ? parts[field] : nil
            }).count
        }
        let vision: VisionConfiguration
        if file.shape(of: "visual.proj") != nil {
            let conv = try shape("visual.conv1.weight", rank: 4)
            let grid = try gridSide(try shape("visual.positional_embedding", rank: 2)[0], "positional embedding")
            let (imageSize, overflow) = conv[3].multipliedReportingOverflow(by: grid)
            guard !overflow else { throw ModelError.cannotInferArchitecture(path: file.path, reason: "patch size × grid overflows") }
            let layers = file.names.filter { $0.hasPrefix("visual.") && $0.hasSuffix(".attn.in_proj_weight") }.count
            vision = VisionConfiguration(imageSize: imageSize, layers: [layers], width: conv[0], patchSize: conv[3],
                                         mlpWidthOverride: try shape("visual.transformer.resblocks.0.mlp.c_fc.weight", rank: 2)[0])
        } else {
            let layers = (1...4).map { distinct("visual.layer\($0).", field: 2) }
            let width = try shape("visual.layer1.0.conv1.weight", rank: 4)[0]
            let grid = try gridSide(try shape("visual.attnpool.positional_embedding", rank: 2)[0], "attention-pool positional embedding")
            guard layers.allSatisfy({ $0 > 0 }), grid <= Int(Int32.max) / 32 else {
                throw ModelError.cannotInferArchitecture(path: file.path, reason: "no ViT projection and no complete ModifiedResNet")
            }
            vision = VisionConfiguration(imageSize: grid * 32, layers: layers, width: width, patchSize: nil)
        }
        let textWidth = try shape("ln_final.weight", rank: 1)[0]
        let configuration = CLIPConfiguration(
            embedDim: try shape("text_projection", rank: 2)[1], quickGELU: true, vision: vision,
            text: TextConfiguration(contextLength: try shape("positional_embedding", rank: 2)[0],
                                    vocabSize: try shape("token_embedding.weight", rank: 2)[0],
                                    width: textWidth, heads: max(textWidth / 64, 1), layers: distinct("transformer.resblocks.", field: 2),
                                    mlpWidthOverride: try shape("transformer.resblocks.0.mlp.c_fc.weight", rank: 2)[0]))
        try configuration.validate(source: file.path)
        return configuration
    }
}
