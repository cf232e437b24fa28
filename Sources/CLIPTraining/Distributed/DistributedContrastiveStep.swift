// Legend: n pairs on this rank, N = n × ranks pairs in all, E embedding width.
import CLIPTensor
import Foundation

/// The loss of one micro-batch spread over the ranks of a job, and its backward pass, with open_clip's
/// distributed semantics. Each rank holds the features of its own `n` pairs; the CLIP loss and the
/// distillation term gather every rank's features and compute this rank's rows against all columns
/// (`gather_with_grad` + `local_loss`); the SigLIP loss passes text chunks around the ring of ranks
/// (`SigLipLoss` with neighbour exchange). Gradients of the gathered or passed features go back to
/// the rank that owns them (reduce-scatter, or the ring in reverse), so that after the caller's
/// gradient all-reduce (a sum) every rank holds the gradient of the whole batch's loss, as one process
/// computing it alone would.
struct DistributedContrastiveStep {
    let communicator: any Communicator
    let loss: LossKind

    /// A teacher's view of the same pairs, for distillation.
    struct Distillation {
        let image: Tensor
        let text: Tensor
        let scale: Float
        let featureWeight: Float
    }

    /// Computes the loss of this micro-batch, whose local features are `image` and `text` `[n, E]` (the
    /// outputs of the towers, still attached to their graphs), back-propagates it into the towers'
    /// parameters and `scale`/`bias`, and returns the whole batch's loss (the same on every rank).
    func lossAndBackward(image: Tensor, text: Tensor, scale: Tensor, bias: Tensor?, distillation: Distillation?) throws -> Float {
        let ranks = communicator.size
        let rows = image.shape[0]
        let imageLeaf = image.detached().requiringGrad()
        let textLeaf = text.detached().requiringGrad()
        let local = (image: imageLeaf, text: textLeaf)
        let gathered = loss == .clip || distillation != nil ? try gatheredLeaves(local) : nil
        let rowsOfAll = gathered.map { FeatureRows(local: local, all: $0) }
        var chunks: [Tensor] = []
        var total: Tensor
        switch loss {
        case .clip:
            total = ContrastiveLoss.clip(localImage: imageLeaf, localText: textLeaf, allImage: rowsOfAll!.all.image,
                                         allText: rowsOfAll!.all.text, offset: communicator.rank * rows, scale: scale)
        case .siglip:
            chunks = try textChunksAroundRing(textLeaf)
            let blocks = chunks.enumerated().map { step, chunk in
                ContrastiveLoss.sigLIP(imageFeatures: imageLeaf, textChunk: chunk, matching: step == 0, scale: scale, bias: bias!)
            }
            total = blocks.dropFirst().reduce(blocks[0], +)
        }
        if let distillation, let rowsOfAll {
            let teacher = FeatureRows(local: (distillation.image, distillation.text),
                                      all: try gatheredConstants((distillation.image, distillation.text)))
            total = total + ContrastiveLoss.distillation(student: rowsOfAll, scale: scale, teacher: teacher, teacherScale: distillation.scale)
            if distillation.featureWeight > 0 {
                total = total + ContrastiveLoss.featureCosine(student: imageLeaf, textLeaf, teacher: distillation.image, distillation.text)
                    * distillation.featureWeight
            }
        }
        let value = total.item()
        // Every rank's loss is its rows' share; the whole batch's is their mean.
        (ranks > 1 ? total * (1 / Float(ranks)) : total).backward()

        var imageSeed = imageLeaf.grad ?? Tensor.zeros(image.shape)
        var textSeed = textLeaf.grad ?? Tensor.zeros(text.shape)
        if let gathered, ranks > 1 {
            imageSeed = imageSeed + (try scatteredGradient(gathered.image, rows: rows))
            textSeed = textSeed + (try scatteredGradient(gathered.text, rows: rows))
        }
        if chunks.count > 1 { textSeed = textSeed + (try ringGradient(chunks)) }
        if image.requiresGrad { image.backward(seed: imageSeed) }
        if text.requiresGrad { text.backward(seed: textSeed) }
        return ranks > 1 ? try communicator.allReduceSum(value) / Float(ranks) : value
    }

    /// Every rank's features `[N, E]` as leaves that collect gradients; on one rank, the local leaves.
    private func gatheredLeaves(_ local: (image: Tensor, text: Tensor)) throws -> (image: Tensor, text: Tensor) {
        guard communicator.size > 1 else { return local }
        let all = try gatheredConstants(local)
        return (all.image.requiringGrad(), all.text.requiringGrad())
    }

    private func gatheredConstants(_ local: (image: Tensor, text: Tensor)) throws -> (image: Tensor, text: Tensor) {
        guard communicator.size > 1 else { return local }
        return (try gathered(local.image), try gathered(local.text))
    }

    private func gathered(_ local: Tensor) throws -> Tensor {
        var shape = local.shape
        shape[0] *= communicator.size
        return Tensor(shape: shape, scalars: try communicator.allGather(local.scalars))
    }

    /// This rank's rows of the sum over ranks of `all.grad`.
    private func scatteredGradient(_ all: Tensor, rows: Int) throws -> Tensor {
        let columns = all.shape[1]
        guard let gradient = all.grad else { return Tensor.zeros([rows, columns]) }
        var result = [Float](repeating: 0, count: rows * columns)
        try gradient.withUnsafeBufferPointer { send in
            try result.withUnsafeMutableBufferPointer { try communicator.reduceScatterSum(send, into: $0) }
        }
        return Tensor(shape: [rows, columns], scalars: result)
    }

    /// The text chunks this rank meets, one per ranks' step around the ring: its own first, then the
    /// chunk of rank − 1, rank − 2, …, each received from the left neighbour and passed on to the right.
    private func textChunksAroundRing(_ own: Tensor) throws -> [Tensor] {
        var chunks = [own]
        let ranks = communicator.size, rank = communicator.rank
        var held = own.scalars
        for _ in 1..<ranks {
            var received = [Float](repeating: 0, count: held.count)
            try held.withUnsafeBufferPointer { send in
                try received.withUnsafeMutableBufferPointer {
                    try communicator.sendReceive(send, to: (rank + 1) % ranks, into: $0, from: (rank + ranks - 1) % ranks)
                }
            }
            held = received
            chunks.append(Tensor(shape: own.shape, scalars: received).requiringGrad())
        }
        return chunks
    }

    /// The gradient of this rank's own text chunk from every other rank's use of it: the ring walked
    /// backwards, each rank handing the gradient of the chunk it received at step k back to the rank
    /// it came from, which adds it to its gradient of the chunk it held at step k − 1.
    private func ringGradient(_ chunks: [Tensor]) throws -> Tensor {
        let ranks = communicator.size, rank = communicator.rank
        let shape = chunks[0].shape
        var carried = [Float](repeating: 0, count: chunks[0].count)
        for step in stride(from: ranks - 1, to: 0, by: -1) {
            var outgoing = chunks[step].grad?.scalars ?? [Float](repeating: 0, count: carried.count)
            for i in outgoing.indices { outgoing[i] += carried[i] }
            try outgoing.withUnsafeBufferPointer { send in
                try carried.withUnsafeMutableBufferPointer {
                    try communicator.sendReceive(send, to: (rank + ranks - 1) % ranks, into: $0, from: (rank + 1) % ranks)
                }
            }
        }
        return Tensor(shape: shape, scalars: carried)
    }
}
