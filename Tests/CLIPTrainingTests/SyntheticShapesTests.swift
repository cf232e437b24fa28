import CLIPImage
import CLIPTraining
import CLIPTestSupport
import Foundation
import Testing

@Suite("Generated shapes data")
struct SyntheticShapesTests {
    @Test("items are deterministic, captions name their shape and colour, JPEG files decode back")
    func shapes() throws {
        let a = SyntheticShapes.item(7, seed: 3), b = SyntheticShapes.item(7, seed: 3), c = SyntheticShapes.item(8, seed: 3)
        #expect(a.image == b.image && a.caption == b.caption)
        #expect(a.image != c.image || a.caption != c.caption)
        for index in 0..<50 {
            let item = SyntheticShapes.item(index, seed: 1)
            #expect(item.caption.contains(SyntheticShapes.shapes[item.shape]) && item.caption.contains(SyntheticShapes.colours[item.colour].name),
                    "\(item.caption)")
        }
        let folder = temporaryPath("clip-shapes")
        try? FileManager.default.removeItem(at: folder)
        let table = try SyntheticShapes.write(count: 5, seed: 1, to: folder, name: "set")
        let data = try CaptionedImages.open(table.path)
        #expect(data.samples.count == 5)
        let decoded = try ImageDecoder().decode(contentsOf: data.samples[0].imagePath).convertedToRGB()
        let original = SyntheticShapes.item(0, seed: 1).image
        #expect(decoded.width == 48 && decoded.height == 48)
        // Quality-95 4:4:4 JPEG of flat colours: every channel within a few levels.
        let worst = zip(decoded.pixels, original.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 24, "largest channel difference \(worst)")
    }
}
