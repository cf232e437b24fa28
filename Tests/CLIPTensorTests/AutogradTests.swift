import Foundation
import CLIPTensor
import CLIPTestSupport
import Testing

@Suite("Autograd")
struct AutogradTests {
    @Test("gradients of a shared input add up")
    func sharedInput() {
        let x = Tensor([2, 3]).requiringGrad()
        let y = (x * x + x * 3).sum()   // dy/dx = 2x + 3
        y.backward()
        #expect(x.grad?.scalars == [7, 9])
    }

    @Test("gradients accumulate across backward calls until reset")
    func accumulation() {
        let w = Tensor([1, 1]).requiringGrad()
        (w * 2).sum().backward()
        (w * 3).sum().backward()
        #expect(w.grad?.scalars == [5, 5])
        w.grad = nil
        (w * 4).sum().backward()
        #expect(w.grad?.scalars == [4, 4])
    }

    @Test("no-grad scope records nothing")
    func noGradScope() {
        let w = Tensor([1, 2]).requiringGrad()
        let y = withNoGrad { (w * 2).sum() }
        #expect(!y.requiresGrad)
        #expect(!GradModeProbe.recordsInside())
    }

    @Test("detached tensors stop the gradient")
    func detachedStopsGradient() {
        let x = Tensor([3]).requiringGrad()
        let y = (x * x.detached()).sum()   // d/dx = x (the detached factor is a constant)
        y.backward()
        #expect(x.grad?.scalars == [3])
    }

    @Test("inputs that do not require grad get none")
    func frozenInputs() {
        let frozen = Tensor([[1, 2], [3, 4]])
        let x = Tensor([[1, 1]]).requiringGrad()
        matmul(x, frozen).sum().backward()
        #expect(frozen.grad == nil)
        #expect(x.grad?.scalars == [3, 7])
    }

    @Test("the graph is freed after backward")
    func graphFreed() {
        weak var intermediate: Tensor?
        let x = Tensor([1, 2, 3]).requiringGrad()
        var loss: Tensor?
        do {
            let hidden = exp(x) * 2
            intermediate = hidden
            loss = hidden.sum()
        }
        #expect(intermediate != nil)   // the graph holds it until backward
        loss?.backward()
        loss = nil
        #expect(intermediate == nil)
    }

    @Test("a 100,000-op chain back-propagates without recursion")
    func deepGraph() {
        let x = Tensor([1]).requiringGrad()
        var y = x
        for _ in 0..<100_000 { y = y + 0 }
        y.sum().backward()
        #expect(x.grad?.scalars == [1])
    }

    @Test("a small MLP trained with SGD drives its loss down")
    func mlpTrains() {
        // A disc inside a ring: 2-D inputs → 32 hidden (tanh) → 2 classes; not linearly separable.
        var generator = RandomGenerator(seed: 3)
        var points: [Float] = []
        var labels: [Int] = []
        for i in 0..<100 {
            let label = i % 2
            let radius = label == 0 ? 0.5 * generator.nextUniform() : 1 + 0.5 * generator.nextUniform()
            let angle = 2 * Float.pi * generator.nextUniform()
            points += [radius * Float(cos(Double(angle))), radius * Float(sin(Double(angle)))]
            labels.append(label)
        }
        let x = Tensor(shape: [100, 2], scalars: points)
        let w1 = Tensor.normal([2, 32], std: 0.7, seed: 1).requiringGrad()
        let b1 = Tensor.zeros([32]).requiringGrad()
        let w2 = Tensor.normal([32, 2], std: 0.2, seed: 2).requiringGrad()
        let b2 = Tensor.zeros([2]).requiringGrad()
        let parameters = [w1, b1, w2, b2]
        func loss() -> Tensor { crossEntropy(matmul(tanh(matmul(x, w1) + b1), w2) + b2, targets: labels) }
        let initial = withNoGrad { loss() }.item()
        for _ in 0..<400 {
            let l = loss()
            l.backward()
            for p in parameters {
                p.addInPlace(p.grad!, scaledBy: -0.5)
                p.grad = nil
            }
        }
        let final = withNoGrad { loss() }.item()
        #expect(initial > 0.6)
        #expect(final < 0.2 * initial, "loss went from \(initial) to \(final)")
    }
}

private enum GradModeProbe {
    static func recordsInside() -> Bool { withNoGrad { GradMode.isRecording } }
}
