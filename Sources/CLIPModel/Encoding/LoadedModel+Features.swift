import CLIPTensor

extension LoadedModel {
    /// Features of `texts`, in order: tokenised with the model's tokenizer and encoded `batchSize` at a
    /// time; L2-normalised when `normalize` is set.
    public func textFeatures(_ texts: [String], batchSize: Int = 32, normalize: Bool = false) throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let tokenizer = try makeTokenizer()
        var rows: [[Float]] = []
        rows.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: max(1, batchSize)) {
            let batch = Array(texts[start..<min(start + max(1, batchSize), texts.count)])
            let features = try withNoGrad { try model.encodeText(tokenizer.tokenize(batch), normalize: normalize) }
            let width = features.shape[1], values = features.scalars
            rows += (0..<batch.count).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
        }
        return rows
    }
}

extension LoadedModel {
    /// Features of the image files at `paths`, in order, encoded `batchSize` at a time; L2-normalised
    /// when `normalize` is set. The first file that cannot be used throws `ModelError.unreadableImage`
    /// naming it (use `ImageFeatureExtractor` to carry on past failures).
    public func imageFeatures(_ paths: [String], batchSize: Int = 32, normalize: Bool = false) throws -> [[Float]] {
        let result = try ImageFeatureExtractor(loaded: self, batchSize: batchSize).extract(paths)
        if let failure = result.failures.first { throw ModelError.unreadableImage(path: failure.path, reason: failure.reason) }
        let rows = result.features.map { $0 ?? [] }
        guard normalize, let width = rows.first?.count else { return rows }
        let normalized = withNoGrad { l2Normalize(Tensor(shape: [rows.count, width], scalars: rows.flatMap { $0 })).scalars }
        return (0..<rows.count).map { Array(normalized[($0 * width)..<(($0 + 1) * width)]) }
    }
}
