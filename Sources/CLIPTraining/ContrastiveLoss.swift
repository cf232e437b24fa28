// Same computation as open_clip `loss.py` `ClipLoss` and `SigLipLoss` on one process.
// Legend: N pairs, E embedding width.
import CLIPTensor

/// The losses CLIP-style models train with. Features are L2-normalised `[N, E]`, row i of each
/// describing the same pair; `scale` is the exponentiated temperature `exp(logit_scale)`, a scalar.
public enum ContrastiveLoss {
    /// Symmetric cross-entropy over the in-batch similarity matrix (InfoNCE):
    /// `(CE(s · I·Tᵀ, diag) + CE(s · T·Iᵀ, diag)) / 2`.
    public static func clip(imageFeatures: Tensor, textFeatures: Tensor, scale: Tensor) -> Tensor {
        let logitsPerImage = matmul(imageFeatures, textFeatures, transposeB: true) * scale   // [N, N]
        let logitsPerText = matmul(textFeatures, imageFeatures, transposeB: true) * scale    // [N, N]
        let labels = Array(0..<imageFeatures.shape[0])
        return (crossEntropy(logitsPerImage, targets: labels) + crossEntropy(logitsPerText, targets: labels)) * 0.5
    }

    /// SigLIP's pairwise sigmoid loss: `−Σ log σ(y · (s · I·Tᵀ + b)) / N` with y = +1 on the diagonal
    /// and −1 elsewhere.
    public static func sigLIP(imageFeatures: Tensor, textFeatures: Tensor, scale: Tensor, bias: Tensor) -> Tensor {
        let count = imageFeatures.shape[0]
        let logits = matmul(imageFeatures, textFeatures, transposeB: true) * scale + bias   // [N, N]
        var signs = [Float](repeating: -1, count: count * count)
        for i in 0..<count { signs[i * count + i] = 1 }
        let labels = Tensor(shape: [count, count], scalars: signs)
        return logSigmoid(labels * logits).sum() * (-1 / Float(count))
    }

    /// open_clip's `DistillClipLoss` distillation term: cross-entropy of the student's logits against
    /// the teacher's softmax (KL divergence up to the teacher's entropy), averaged over rows, for the
    /// per-image and the per-text logits: `(H(t_I, s_I) + H(t_T, s_T)) / 2`.
    public static func distillation(student imageFeatures: Tensor, _ textFeatures: Tensor, scale: Tensor,
                                    teacher teacherImage: Tensor, _ teacherText: Tensor, teacherScale: Float) -> Tensor {
        let studentPerImage = matmul(imageFeatures, textFeatures, transposeB: true) * scale             // [N, N]
        let studentPerText = matmul(textFeatures, imageFeatures, transposeB: true) * scale
        let (teacherPerImage, teacherPerText) = withNoGrad {
            (softmax(matmul(teacherImage, teacherText, transposeB: true) * teacherScale, axis: -1),
             softmax(matmul(teacherText, teacherImage, transposeB: true) * teacherScale, axis: -1))
        }
        func softCrossEntropy(_ targets: Tensor, _ logits: Tensor) -> Tensor {
            (targets * logSoftmax(logits, axis: -1)).sum(alongAxis: 1).mean() * -1
        }
        return (softCrossEntropy(teacherPerImage, studentPerImage) + softCrossEntropy(teacherPerText, studentPerText)) * 0.5
    }

    /// `1 − cos` between student and teacher features, averaged over both towers' rows.
    public static func featureCosine(student imageFeatures: Tensor, _ textFeatures: Tensor,
                                     teacher teacherImage: Tensor, _ teacherText: Tensor) -> Tensor {
        let image = (imageFeatures * teacherImage).sum(alongAxis: 1).mean()
        let text = (textFeatures * teacherText).sum(alongAxis: 1).mean()
        return (image + text) * -0.5 + 1
    }
}
