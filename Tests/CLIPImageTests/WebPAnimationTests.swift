@testable import CLIPImage
import CLIPTestSupport
import Foundation
import Testing

/// Pillow's first frames of the animations written by Scripts/make_webp_animation_fixtures.py.
struct WebPAnimationExpectation: Decodable, Sendable, CustomStringConvertible {
    let file: String
    let mode: String
    let width: Int
    let height: Int
    let decodedSHA256: String
    var description: String { file }
    enum CodingKeys: String, CodingKey { case file, mode, width, height, decodedSHA256 = "decoded_sha256" }

    static let loaded: [WebPAnimationExpectation] = {
        struct File: Decodable { let images: [WebPAnimationExpectation] }
        let url = ReferenceData.fixturesDirectory().appendingPathComponent("webp_animation_expectations.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).images
    }()
}

@Suite("Animated WebP")
struct WebPAnimationTests {
    @Test("an animation decodes to its first frame on the canvas, as Pillow opens it", arguments: WebPAnimationExpectation.loaded)
    func firstFrame(_ expected: WebPAnimationExpectation) throws {
        let path = ReferenceData.fixturesDirectory().appendingPathComponent("images/\(expected.file)").path
        let image = try ImageDecoder().decode(contentsOf: path)
        #expect(image.mode.rawValue == expected.mode)
        #expect(image.width == expected.width && image.height == expected.height)
        #expect(sha256Hex(rawBytes(image)) == expected.decodedSHA256)
    }

    @Test("a truncated animation is reported as truncated")
    func truncatedAnimation() throws {
        let data = try ImageErrorTests.fixture("animated_alpha.webp")
        let path = try ImageErrorTests.write(data.prefix(data.count - 40), "cut-animated.webp")
        #expect(throws: ImageError.truncated(path: path)) { try ImageDecoder().decode(contentsOf: path) }
    }
}
