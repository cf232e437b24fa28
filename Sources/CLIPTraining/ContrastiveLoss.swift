// Same computation as open_clip `loss.py` `ClipLoss`, `SigLipLoss` and `DistillClipLoss`, whole or per rank.
// Legend: N pairs, n of them on one rank, E embedding width.
import CLIPTensor

/// The losses CLIP-style models train with. Features are L2-normalised `[N, E]`, row i of each
/// describing the same pair; `scale` is the exponentiated temperature `exp(logit_scale)`, a scalar.
public enum ContrastiveLoss {
    /// Symmetric cross-entropy over the in-batch similarity matrix (InfoNCE):
    /// `(CE(s · I·Tᵀ, diag) + CE(s · T·Iᵀ, diag)) / 2`.
    public static func clip(imageFeatures: Tensor, textFeatures: Tensor, scale: Tensor) -> Tensor {
        clip(localImage: imageFeatures, localText: textFeatures, allImage: imageFeatures, allText: textFeatures, offset: 0, scale: scale)
    }

    /// The rows of one rank in a distributed batch (open_clip's `local_loss`): its `[n, E]` features
    /// against all `[N, E]`, its pairs being rows `offset ..< offset + n` of the whole. The mean of
    /// every rank's value is the whole batch's `clip` loss.
    public static func clip(localImage: Tensor, localText: Tensor, allImage: Tensor, allText: Tensor, offset: Int,
                            scale: Tensor) -> Tensor {
        let logitsPerImage = matmul(localImage, allText, transposeB: true) * scale   // [n, N]
        let logitsPerText = matmul(localText, allImage, transposeB: true) * scale    // [n, N]
        let labels = Array(offset..<(offset + localImage.shape[0]))
        return (crossEntropy(logitsPerImage, targets: labels) + crossEntropy(logitsPerText, targets: labels)) * 0.5
    }

    /// SigLIP's pairwise sigmoid loss: `−Σ log σ(y · (s · I·Tᵀ + b)) / N` with y = +1 on the diagonal
    /// and −1 elsewhere.
    public static func sigLIP(imageFeatures: Tensor, textFeatures: Tensor, scale: Tensor, bias: Tensor) -> Tensor {
        sigLIP(imageFeatures: imageFeatures, textChunk: textFeatures, matching: true, scale: scale, bias: bias)
    }

    /// One block of the sigmoid loss as open_clip's distributed `SigLipLoss` computes it: images `[n, E]`
    /// against a chunk of texts `[n, E]`, the same pairs (`matching`, y = +1 on the diagonal) or
    /// another rank's (y = −1 everywhere), summed and divided by n. A rank's blocks against every
    /// chunk add up to its share; their mean over ranks is the whole batch's `sigLIP` loss.
    public static func sigLIP(imageFeatures: Tensor, textChunk: Tensor, matching: Bool, scale: Tensor, bias: Tensor) -> Tensor {
        let rows = imageFeatures.shape[0], columns = textChunk.shape[0]
        let logits = matmul(imageFeatures, textChunk, transposeB: true) * scale + bias   // [n, n]
        var signs = [Float](repeating: -1, count: rows * columns)
        if matching { for i in 0..<min(rows, columns) { signs[i * columns + i] = 1 } }
        let labels = Tensor(shape: [rows, columns], scalars: signs)
        return logSigmoid(labels * logits).sum() * (-1 / Float(rows))
    }

    /// open_clip's `DistillClipLoss` distillation term: cross-entropy of the student's logits against
    /// the teacher's softmax (KL divergence up to the teacher's entropy), averaged over rows, for the
    /// per-image and the per-text logits: `(H(t_I, s_I) + H(t_T, s_T)) / 2`.
    public static func distillation(student imageFeatures: Tensor, _ textFeatures: Tensor, scale: Tensor,
                                    teacher teacherImage: Tensor, _ teacherText: Tensor, teacherScale: Float) -> Tensor {
        distillation(student: FeatureRows(local: (imageFeatures, textFeatures), all: (imageFeatures, textFeatures)), scale: scale,
                     teacher: FeatureRows(local: (teacherImage, teacherText), all: (teacherImage, teacherText)), teacherScale: teacherScale)
    }

    /// One rank's rows of the distillation term: its students' and teachers' features against all of
    /// them; the mean over ranks is the whole batch's.
    public static func distillation(student: FeatureRows, scale: Tensor, teacher: FeatureRows, teacherScale: Float) -> Tensor {
        let studentPerImage = matmul(student.local.image, student.all.text, transposeB: true) * scale             // [n, N]
        let studentPerText = matmul(student.local.text, student.all.image, transposeB: true) * scale
        let (teacherPerImage, teacherPerText) = withNoGrad {
            (softmax(matmul(teacher.local.image, teacher.all.text, transposeB: true) * teacherScale, axis: -1),
             softmax(matmul(teacher.local.text, teacher.all.image, transposeB: true) * teacherScale, axis: -1))
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

/// Image and text features of one rank's rows (`local`, `[n, E]`) and of the whole batch across ranks
/// (`all`, `[N, E]`); in a one-process run they are the same.
public struct FeatureRows {
    /// This rank's rows.
    public var local: (image: Tensor, text: Tensor)
    /// Every rank's rows, in rank order.
    public var all: (image: Tensor, text: Tensor)

    /// Features of `local` rows within `all`.
    public init(local: (image: Tensor, text: Tensor), all: (image: Tensor, text: Tensor)) {
        self.local = local
        self.all = all
    }
}
