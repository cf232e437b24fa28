/// Zero-shot metrics as CLIP_benchmark computes them: top-k accuracy (the true class among the k
/// highest logits) and mean per-class recall (scikit-learn's `balanced_accuracy_score` of the top-1
/// predictions: the mean over classes that occur in the targets of the fraction predicted right).
public enum ClassificationMetrics {
    /// `rankings[i]` lists the classes of sample i best first (at least `k` of them).
    public static func topKAccuracy(rankings: [[Int]], targets: [Int], k: Int) -> Double {
        guard !targets.isEmpty else { return 0 }
        let hits = zip(rankings, targets).filter { ranking, target in ranking.prefix(k).contains(target) }.count
        return Double(hits) / Double(targets.count)
    }

    /// The mean over classes of each class's recall (balanced accuracy), over the classes that have targets.
    public static func meanPerClassRecall(predictions: [Int], targets: [Int]) -> Double {
        var total: [Int: Int] = [:], correct: [Int: Int] = [:]
        for (prediction, target) in zip(predictions, targets) {
            total[target, default: 0] += 1
            if prediction == target { correct[target, default: 0] += 1 }
        }
        guard !total.isEmpty else { return 0 }
        let recalls = total.map { Double(correct[$0.key, default: 0]) / Double($0.value) }
        return recalls.reduce(0, +) / Double(recalls.count)
    }
}
