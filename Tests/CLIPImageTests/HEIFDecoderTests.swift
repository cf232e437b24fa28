import CLIPImage
import CLIPTestSupport
import Foundation
import Testing

/// HEIC and AVIF files and Pillow's pixels for them (Scripts/make_heif_fixtures.py).
struct HEIFExpectations: Decodable {
    struct Image: Decodable, CustomStringConvertible {
        let name: String
        let mode: String
        let width: Int
        let height: Int
        let pixels: String
        var description: String { name }
    }

    let images: [Image]

    static let loaded: HEIFExpectations = try! JSONDecoder().decode(
        HEIFExpectations.self, from: Data(contentsOf: ReferenceData.fixturesDirectory().appendingPathComponent("heif_expectations.json")))
}

@Suite("HEIF and AVIF decoding")
struct HEIFDecoderTests {
    /// Pillow decodes AVIF with libavif and HEIC with a newer libheif than Debian's; their YUV → RGB
    /// conversions and chroma upsampling differ at sharp colour edges. Measured: photo.heic within 1,
    /// the AVIFs and the rotated HEIC up to 22 at a few edge pixels, means under 0.91.
    static let maximumDifference = 24
    static let meanDifference = 1.0

    @Test("HEIC and AVIF decode to Pillow's mode, size and pixels (with pillow-heif), rotation applied",
          arguments: HEIFExpectations.loaded.images)
    func parity(_ expected: HEIFExpectations.Image) throws {
        let path = ReferenceData.fixturesDirectory().appendingPathComponent("images/\(expected.name)").path
        let image = try ImageDecoder().decode(contentsOf: path)
        #expect(ImageDecoder.format(of: try Data(contentsOf: URL(fileURLWithPath: path))) == .heif)
        #expect(image.mode.rawValue == expected.mode && image.width == expected.width && image.height == expected.height,
                "\(image.mode) \(image.width)×\(image.height)")
        let reference = [UInt8](try #require(Data(base64Encoded: expected.pixels)))
        try #require(reference.count == image.samples.count)
        let differences = zip(reference, image.samples).map { abs(Int($0) - Int($1)) }
        let mean = Double(differences.reduce(0, +)) / Double(differences.count)
        #expect(differences.max()! <= Self.maximumDifference && mean <= Self.meanDifference,
                "largest difference \(differences.max()!), mean \(mean)")
    }

    @Test("a HEIC cut short, damaged or too large is refused with a reason")
    func damaged() throws {
        let data = try Data(contentsOf: ReferenceData.fixturesDirectory().appendingPathComponent("images/photo.heic"))
        #expect(throws: ImageError.self) { try ImageDecoder().decode(data.prefix(data.count / 2), source: "cut.heic") }
        var flipped = data
        for offset in stride(from: 200, to: data.count, by: 97) { flipped[offset] ^= 0x5A }
        #expect(throws: ImageError.self) { try ImageDecoder().decode(flipped, source: "flipped.heic") }
        #expect(throws: ImageError.tooLarge(path: "big.heic", width: 97, height: 61, limit: 1_000)) {
            try ImageDecoder(maximumPixels: 1_000).decode(data, source: "big.heic")
        }
    }

    @Test("an overlay declaring 97×61 that composes a 62442×19362 canvas is refused before libheif allocates it")
    func oversizedOverlayCanvas() throws {
        // Found by the image decoder's fuzz target (Fuzz/regressions/FuzzImageDecoder): 3.6 GB allocated.
        let data = try Data(contentsOf: ReferenceData.fixturesDirectory().appendingPathComponent("images/overlay_canvas_62442x19362.heic"))
        do {
            _ = try ImageDecoder(maximumPixels: 4_000_000).decode(data, source: "overlay.heic")
            Issue.record("the overlay decoded")
        } catch let error as ImageError {
            #expect("\(error)".contains("62442x19362"), "\(error)")
        }
    }
}
