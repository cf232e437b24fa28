import CLIPModel
import CLIPNN
import CLIPOptim
import CLIPTensor
import CLIPTestSupport
import CLIPTraining
import Foundation
import Testing

/// One open_clip training step (Scripts/make_training_fixtures.py): loss, gradients, gradient
/// clipping, AdamW with open_clip's parameter groups and warmup-cosine learning rate, and the
/// logit-scale clamp.
@Suite("One training step equals open_clip's")
struct TrainingStepParityTests {
    /// Loss, gradients and updated weights agree to 1e-5 relative to each tensor's largest magnitude
    /// (float32 sums in a different order; the step moves weights by about the learning rate).
    static let tolerance: Float = 1e-5

    /// Adam's update is normalised by the gradient's own scale, so weights after the step are far
    /// less sensitive to rounding than gradients are (observed 6e-8); 1e-6 still sees a weight
    /// decay of lr · wd · p for weights near 1.
    static let weightTolerance: Float = 1e-6

    static func relativeDifference(_ actual: Tensor, _ expected: Tensor) -> (Float, Difference) {
        let difference = maxDifference(actual, expected)
        let scale = max(1, expected.scalars.map(abs).max() ?? 0)
        return (difference.value / scale, difference)
    }

    @Test("loss, gradients and weights after one AdamW step", arguments: ["clip", "siglip", "siglip_model", "xlmr_model", "distill"])
    func step(_ lossName: String) throws {
        let folder = ReferenceData.fixturesDirectory().appendingPathComponent(lossName)
        let reference = try SafeTensorsFile(path: folder.appendingPathComponent("step.safetensors").path)
        let model = try CLIPLoader.load(path: folder.path).model
        #expect((model.logitBias != nil) == lossName.hasPrefix("siglip"))
        model.prepareForTraining()

        let images = try reference.tensor("images")
        let tokenValues = try reference.tensor("tokens")
        let tokens = tokenRows(tokenValues)
        let imageFeatures = try model.encodeImage(images, normalize: true)
        let textFeatures = try model.encodeText(tokens, normalize: true)
        let scale = exp(model.logitScale)
        let loss: Tensor
        switch lossName {
        case "siglip", "siglip_model":
            loss = ContrastiveLoss.sigLIP(imageFeatures: imageFeatures, textFeatures: textFeatures, scale: scale, bias: model.logitBias!)
        case "distill":
            let teacher = try CLIPLoader.load(path: folder.appendingPathComponent("teacher").path).model
            let (teacherImage, teacherText) = try withNoGrad {
                (try teacher.encodeImage(images, normalize: true), try teacher.encodeText(tokens, normalize: true))
            }
            loss = ContrastiveLoss.clip(imageFeatures: imageFeatures, textFeatures: textFeatures, scale: scale)
                + ContrastiveLoss.distillation(student: imageFeatures, textFeatures, scale: scale, teacher: teacherImage, teacherText,
                                               teacherScale: Foundation.exp(teacher.logitScale.item()))
        default:
            loss = ContrastiveLoss.clip(imageFeatures: imageFeatures, textFeatures: textFeatures, scale: scale)
        }
        let (lossDifference, lossDetail) = Self.relativeDifference(loss, try reference.tensor("loss"))
        #expect(lossDifference <= Self.tolerance, "loss: \(lossDetail)")
        loss.backward()

        let named = model.namedParameters()
        var worstGradient: Float = 0
        for (name, parameter) in named {
            let gradient = try #require(parameter.wrappedValue.grad, "no gradient for \(name)")
            let (difference, detail) = Self.relativeDifference(gradient, try reference.tensor("grad/\(name)"))
            #expect(difference <= Self.tolerance, "gradient of \(name): \(detail)")
            worstGradient = max(worstGradient, difference)
        }

        let norm = clipGradientNorm(named.map(\.parameter), maximumNorm: 0.05)
        let expectedNorm = try reference.tensor("grad_norm").item()
        #expect(abs(norm - expectedNorm) <= Self.tolerance * expectedNorm, "gradient norm \(norm) vs \(expectedNorm)")
        let schedule = LearningRateSchedule.cosine(base: 1e-3, warmup: 2, total: 10)
        #expect(schedule.learningRate(at: 0) == (try reference.tensor("lr").item()))
        let optimizer = AdamW(groups: ParameterGroups.openCLIP(model, weightDecay: 0.2), learningRate: schedule.learningRate(at: 0))
        optimizer.step()
        model.clampLogitScale()
        var worstWeight: Float = 0
        var moved = 0
        for (name, parameter) in named {
            let after = try reference.tensor("after/\(name)")
            let (difference, detail) = Self.relativeDifference(parameter.wrappedValue, after)
            #expect(difference <= Self.weightTolerance, "\(name) after the step: \(detail)")
            worstWeight = max(worstWeight, difference)
            if maxDifference(after, try CLIPLoader.load(path: folder.path).model.stateDict()[name]!).value > 1e-5 { moved += 1 }
        }
        // The step must have changed the weights, or the comparison above would prove nothing. A
        // separate key bias (BERT's) adds the same amount to every score of a query, which the
        // softmax cancels: its gradient is zero up to rounding and it stays put.
        let stationary = named.filter { $0.name.hasSuffix("attention.self.key.bias") }.count
        #expect(moved == named.count - stationary)
        print("\(lossName): loss \(loss.item()), worst relative difference: gradients \(worstGradient), weights \(worstWeight)")
    }

    @Test("open_clip's weight-decay groups: nothing with fewer than 2 dimensions, no gains, biases or logit scale")
    func groups() throws {
        let model = try CLIPLoader.load(path: ReferenceData.fixturesDirectory().appendingPathComponent("siglip").path).model
        model.prepareForTraining()
        let groups = ParameterGroups.openCLIP(model, weightDecay: 0.2)
        #expect(groups[0].weightDecay == 0 && groups[1].weightDecay == 0.2)
        for name in ["logit_scale", "logit_bias", "visual.class_embedding", "ln_final.weight", "visual.transformer.resblocks.0.ln_1.bias",
                     "transformer.resblocks.0.attn.in_proj_bias", "transformer.resblocks.0.mlp.c_fc.bias"] {
            #expect(groups[0].names.contains(name), "\(name) must not decay")
        }
        for name in ["visual.conv1.weight", "visual.positional_embedding", "token_embedding.weight", "text_projection", "visual.proj",
                     "transformer.resblocks.0.attn.in_proj_weight", "transformer.resblocks.0.mlp.c_proj.weight"] {
            #expect(groups[1].names.contains(name), "\(name) must decay")
        }
        #expect(groups[0].names.count + groups[1].names.count == model.namedParameters().count)
    }

    @Test("AdamW decays, then steps by the bias-corrected moments (hand-computed)")
    func adamWByHand() {
        let weight = Parameter(wrappedValue: Tensor([1, -2]))
        weight.wrappedValue.requiresGrad = true
        weight.wrappedValue.grad = Tensor([0.5, 0])
        let optimizer = AdamW(groups: [.init(names: ["w"], parameters: [weight], weightDecay: 0.5)], learningRate: 0.1,
                              beta1: 0.9, beta2: 0.98, epsilon: 1e-6)
        optimizer.step()
        // p·(1 − 0.05) − 0.1 · m̂ / (√v̂ + ε), m̂ = g, v̂ = g²: 0.95 − 0.1 · 0.5 / 0.500001; the second has no gradient step.
        let values = weight.wrappedValue.scalars
        #expect(abs(values[0] - Float(0.95 - 0.1 * 0.5 / 0.500001)) < 1e-6)
        #expect(abs(values[1] - (-1.9)) < 1e-6)
        #expect(optimizer.stepCount == 1)
        #expect(abs((optimizer.moments["w"]?.first[0] ?? 0) - 0.05) < 1e-7)
    }

    @Test("the schedule warms up linearly and decays by half a cosine to zero")
    func schedule() {
        let schedule = LearningRateSchedule.cosine(base: 1, warmup: 4, total: 12)
        #expect((0..<4).map { schedule.learningRate(at: $0) } == [0.25, 0.5, 0.75, 1])
        #expect(schedule.learningRate(at: 8) == 0.5)
        #expect(schedule.learningRate(at: 12) == 0)
        #expect(LearningRateSchedule.constant(base: 2, warmup: 2).learningRate(at: 0) == 1)
    }

    @Test("the logit scale is clamped to [0, ln 100] after a step")
    func clamp() throws {
        let model = try CLIPLoader.load(path: ReferenceData.fixturesDirectory().appendingPathComponent("clip").path).model
        model.prepareForTraining()
        model.logitScale.withUnsafeMutableBufferPointer { $0[0] = 7 }
        model.clampLogitScale()
        #expect(abs(model.logitScale.item() - Float(Foundation.log(100.0))) < 1e-6)
        model.logitScale.withUnsafeMutableBufferPointer { $0[0] = -1 }
        model.clampLogitScale()
        #expect(model.logitScale.item() == 0)
    }
}
