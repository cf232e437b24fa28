import CLIPTensor

/// The architecture of a bare open_clip / OpenAI state dict, read from its tensor shapes as OpenAI's
/// `build_model` reads them. The activation cannot be seen in the weights; OpenAI's models (the
/// common source of bare checkpoints) use QuickGELU, so that is assumed unless an architecture is named.
enum ArchitectureInference {
    static func configuration(of file: TensorArchive) throws -> CLIPConfiguration {
        func shape(_ key: String) throws -> [Int] {
            guard let shape = file.shape(of: key) else {
                throw ModelError.cannotInferArchitecture(path: file.path, reason: "tensor '\(key)' is missing")
            }
            return shape
        }
        func distinct(_ prefix: String, field: Int) -> Int {
            Set(file.names.filter { $0.hasPrefix(prefix) }.compactMap { name -> Substring? in
                let parts = name.split(separator: ".")
                return parts.count > field ? parts[field] : nil
            }).count
        }
        let vision: VisionConfiguration
        if file.shape(of: "visual.proj") != nil {
            let conv = try shape("visual.conv1.weight")
            let positions = try shape("visual.positional_embedding")[0]
            let grid = Int(Double(positions - 1).squareRoot().rounded())
            guard grid * grid + 1 == positions, conv.count == 4 else {
                throw ModelError.cannotInferArchitecture(path: file.path, reason: "positional embedding of \(positions) rows is not a square grid plus one")
            }
            let layers = file.names.filter { $0.hasPrefix("visual.") && $0.hasSuffix(".attn.in_proj_weight") }.count
            vision = VisionConfiguration(imageSize: conv[3] * grid, layers: [layers], width: conv[0], patchSize: conv[3],
                                         mlpWidthOverride: try shape("visual.transformer.resblocks.0.mlp.c_fc.weight")[0])
        } else {
            let layers = (1...4).map { distinct("visual.layer\($0).", field: 2) }
            let width = try shape("visual.layer1.0.conv1.weight")[0]
            let positions = try shape("visual.attnpool.positional_embedding")[0]
            let grid = Int(Double(positions - 1).squareRoot().rounded())
            guard grid * grid + 1 == positions, layers.allSatisfy({ $0 > 0 }) else {
                throw ModelError.cannotInferArchitecture(path: file.path, reason: "no ViT projection and no complete ModifiedResNet")
            }
            vision = VisionConfiguration(imageSize: grid * 32, layers: layers, width: width, patchSize: nil)
        }
        let textWidth = try shape("ln_final.weight")[0]
        let configuration = CLIPConfiguration(
            embedDim: try shape("text_projection")[1], quickGELU: true, vision: vision,
            text: TextConfiguration(contextLength: try shape("positional_embedding")[0], vocabSize: try shape("token_embedding.weight")[0],
                                    width: textWidth, heads: max(textWidth / 64, 1), layers: distinct("transformer.resblocks.", field: 2),
                                    mlpWidthOverride: try shape("transformer.resblocks.0.mlp.c_fc.weight")[0]))
        try configuration.validate(source: file.path)
        return configuration
    }
}
