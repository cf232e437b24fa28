import CLIPEvaluation
import CLIPTensor
import Testing

@Suite("Linear probe")
struct LinearProbeTests {
    @Test("separable clusters are learned; the L2 strength is chosen on the validation split")
    func clusters() throws {
        var generator = RandomGenerator(seed: 9)
        let classes = 3, width = 6, perClass = 40
        var values: [Float] = [], labels: [Int] = []
        for sample in 0..<(classes * perClass) {
            let label = sample % classes
            for d in 0..<width { values.append((d == label ? 2 : 0) + generator.nextNormal() * 0.3) }
            labels.append(label)
        }
        let features = Tensor(shape: [classes * perClass, width], scalars: values)
        let probe = try LinearProbe.fit(features: features, labels: labels, classes: classes, iterations: 150)
        #expect(probe.search.count == LinearProbe.defaultStrengths.count)
        #expect(LinearProbe.defaultStrengths.contains(probe.l2))
        let accuracy = Double(zip(probe.predict(features), labels).filter { $0 == $1 }.count) / Double(labels.count)
        #expect(accuracy >= 0.95, "accuracy \(accuracy)")
        #expect(throws: EvaluationError.self) { _ = try LinearProbe.fit(features: features, labels: labels.map { $0 + 5 }, classes: 3) }
    }
}
