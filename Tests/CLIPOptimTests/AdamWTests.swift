import CLIPNN
import CLIPOptim
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Five steps of clipping, schedule and AdamW against torch (Scripts/make_optim_fixtures.py).
@Suite("AdamW, clipping and the schedule equal torch and open_clip")
struct AdamWTests {
    /// A few float32 roundings per step, compounded over five steps of values of order 1.
    static let tolerance: Float = 2e-6
    static let fixture = ReferenceData.fixturesDirectory().appendingPathComponent("adamw.safetensors").path
    static let names = ["weight", "bias", "ln.weight"]

    @Test("five steps: the gradient norm before clipping, the learning rate and every weight after the update")
    func fiveSteps() throws {
        let reference = try SafeTensorsFile(path: Self.fixture)
        let parameters = try Self.names.map { Parameter(wrappedValue: try reference.tensor("init/\($0)").copied().requiringGrad()) }
        let named = Array(zip(Self.names, parameters))
        let groups = ParameterGroups.openCLIP(named.map { (name: $0.0, parameter: $0.1) }, weightDecay: 0.2)
        #expect(groups.map(\.names) == [["bias", "ln.weight"], ["weight"]])
        let optimizer = AdamW(groups: groups, learningRate: 0, beta1: 0.9, beta2: 0.98, epsilon: 1e-6)
        let schedule = LearningRateSchedule.cosine(base: 1e-2, warmup: 2, total: 5)
        for step in 0..<5 {
            for (name, parameter) in named { parameter.wrappedValue.grad = try reference.tensor("grad\(step)/\(name)").copied() }
            let norm = clipGradientNorm(parameters, maximumNorm: 1)
            #expect(abs(norm - (try reference.tensor("norm\(step)").scalars[0])) <= 1e-5, "step \(step) norm")
            optimizer.learningRate = schedule.learningRate(at: step)
            #expect(abs(optimizer.learningRate - (try reference.tensor("lr\(step)").scalars[0])) <= 1e-9, "step \(step) lr")
            optimizer.step()
            optimizer.zeroGradients()
            for (name, parameter) in named {
                expectClose(parameter.wrappedValue, try reference.tensor("after\(step)/\(name)"), tolerance: Self.tolerance, "step \(step) \(name)")
            }
        }
    }

    @Test("restoring moments of the wrong size is refused")
    func restoreChecksShapes() throws {
        let parameter = Parameter(wrappedValue: Tensor.zeros([3]).requiringGrad())
        let optimizer = AdamW(groups: [AdamW.Group(names: ["p"], parameters: [parameter], weightDecay: 0)], learningRate: 1e-3)
        #expect(throws: (any Error).self) {
            try optimizer.restore(moments: ["p": AdamW.Moments(first: [0], second: [0])], stepCount: 1)
        }
    }
}
