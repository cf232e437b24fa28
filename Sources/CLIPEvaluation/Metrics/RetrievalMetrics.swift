import CLIPTensor

/// Retrieval recall@K as CLIP_benchmark computes it: a query counts as found when at least one of
/// its positives is among the K highest-scoring candidates. Text→image ranks images for each caption
/// (CLIP_benchmark's `image_retrieval_recall@K`); image→text ranks captions for each image
/// (`text_retrieval_recall@K`).
public enum RetrievalMetrics {
    /// `scores` is `[Q, C]` (queries × candidates); `positives[q]` the candidates that match query q.
    /// A candidate's rank counts the candidates scoring higher, and equal ones with a lower index.
    public static func recall(scores: Tensor, positives: [Set<Int>], k: Int) -> Double {
        let queries = scores.shape[0], candidates = scores.shape[1]
        guard queries > 0 else { return 0 }
        let values = scores.scalars
        var found = 0
        for query in 0..<queries {
            let base = query * candidates
            let hit = positives[query].contains { positive in
                let score = values[base + positive]
                var rank = 0
                for candidate in 0..<candidates {
                    let other = values[base + candidate]
                    if other > score || (other == score && candidate < positive) {
                        rank += 1
                        if rank >= k { return false }
                    }
                }
                return true
            }
            if hit { found += 1 }
        }
        return Double(found) / Double(queries)
    }

    /// Recall@K both ways for a dataset's caption and image features (L2-normalised).
    public static func report(textFeatures: Tensor, imageFeatures: Tensor, imageOfCaption: [Int],
                              ks: [Int] = [1, 5, 10]) -> [String: Double] {
        let textToImage = withNoGrad { matmul(textFeatures, imageFeatures, transposeB: true) }   // [T, I]
        let imageToText = textToImage.transposed().copied()                                        // [I, T]
        let imageCount = imageFeatures.shape[0]
        var captionsOf = [Set<Int>](repeating: [], count: imageCount)
        for (caption, image) in imageOfCaption.enumerated() { captionsOf[image].insert(caption) }
        let imageOf = imageOfCaption.map { Set([$0]) }
        var result: [String: Double] = [:]
        for k in ks {
            result["image_retrieval_recall@\(k)"] = recall(scores: textToImage, positives: imageOf, k: k)
            result["text_retrieval_recall@\(k)"] = recall(scores: imageToText, positives: captionsOf, k: k)
        }
        return result
    }
}
