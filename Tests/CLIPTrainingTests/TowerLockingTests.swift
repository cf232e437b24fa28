import CLIPModel
import CLIPTestSupport
import CLIPTraining
import Foundation
import Testing

@Suite("LiT locking groups the image tower as open_clip does")
struct TowerLockingTests {
    /// open_clip's `TimmModel.lock` on the SigLIP fixture (Scripts/make_training_fixtures.py):
    /// the image-tower parameters left trainable for each number of unlocked groups.
    @Test("a timm SigLIP tower keeps the same parameters trainable as open_clip, for every unlocked group count",
          arguments: 0...4)
    func timmGroups(_ unlocked: Int) throws {
        let folder = ReferenceData.fixturesDirectory().appendingPathComponent("siglip_model")
        let expected = try JSONDecoder().decode([String: [String]].self,
                                                from: Data(contentsOf: folder.appendingPathComponent("lock_groups.json")))
        let model = try CLIPLoader.load(path: folder.path).model
        model.prepareForTraining()
        try model.lockImageTower(unlockedGroups: unlocked)
        let trainable = model.namedParameters().filter { $0.name.hasPrefix("visual.") && $0.parameter.wrappedValue.requiresGrad }.map(\.name)
        #expect(trainable.sorted() == expected[String(unlocked)])
    }
}
