@testable import CLIPImage
import CLIPTestSupport
import Foundation
import Testing

/// Expectations written by Scripts/make_image_fixtures.py from Pillow, torchvision and open_clip.
struct ImageExpectations: Decodable, Sendable {
    struct Output: Decodable, Sendable {
        let rgbSHA256: String
        let positions: [Int]
        let values: [Double]
        let sum: Double
        enum CodingKeys: String, CodingKey { case rgbSHA256 = "rgb_sha256", positions, values, sum }
    }
    struct Entry: Decodable, Sendable, CustomStringConvertible {
        let file: String
        let mode: String
        let width: Int
        let height: Int
        let decodedSHA256: String
        let decodedRGBSHA256: String
        let sizes: [String: Output]
        var description: String { file }
        enum CodingKeys: String, CodingKey {
            case file, mode, width, height, sizes
            case decodedSHA256 = "decoded_sha256"
            case decodedRGBSHA256 = "decoded_rgb_sha256"
        }
    }
    struct FilterCase: Decodable, Sendable, CustomStringConvertible {
        let file: String
        let filter: String
        let size: Int
        let rgbSHA256: String
        var description: String { "\(file) \(filter)" }
        enum CodingKeys: String, CodingKey { case file, filter, size, rgbSHA256 = "rgb_sha256" }
    }
    struct CropCase: Decodable, Sendable, CustomStringConvertible {
        let file: String
        let box: [Int]
        let size: Int
        let rgbSHA256: String
        var description: String { "\(file) \(box)" }
        enum CodingKeys: String, CodingKey { case file, box, size, rgbSHA256 = "rgb_sha256" }
    }
    let images: [Entry]
    let filters: [FilterCase]
    let crops: [CropCase]

    static let loaded: ImageExpectations = {
        let url = ReferenceData.fixturesDirectory().appendingPathComponent("image_expectations.json")
        return try! JSONDecoder().decode(ImageExpectations.self, from: Data(contentsOf: url))
    }()

    /// The path of a "reference:NAME" or "fixture:NAME" file.
    static func path(_ label: String) throws -> String {
        let parts = label.split(separator: ":", maxSplits: 1).map(String.init)
        if parts[0] == "fixture" {
            return ReferenceData.fixturesDirectory().appendingPathComponent("images/\(parts[1])").path
        }
        return try ReferenceData.sharedFile("images/\(parts[1])").path
    }
}

/// Cases on committed fixture images, and cases on the shared reference photos.
protocol ImageCase {
    var file: String { get }
}

extension ImageExpectations.Entry: ImageCase {}
extension ImageExpectations.FilterCase: ImageCase {}
extension ImageExpectations.CropCase: ImageCase {}

extension Array where Element: ImageCase {
    var onFixtures: [Element] { filter { $0.file.hasPrefix("fixture:") } }
    var onReferencePhotos: [Element] { filter { !$0.file.hasPrefix("fixture:") } }
}

/// The raw samples as numpy lays them out for `np.asarray(image)` (I;16 little-endian).
func rawBytes(_ image: PixelImage) -> [UInt8] {
    image.mode == .luminance16 ? image.samples16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } : image.samples
}

@Suite("Images match Pillow + torchvision")
struct ImageParityTests {
    /// ToTensor and Normalize are a float32 division and subtraction on identical uint8 input, so
    /// our floats should equal torch's exactly; the issue allows 1e-6.
    static let normalizedTolerance = 1e-6

    @Test("decoded pixels equal Pillow's, bit for bit (committed fixtures)", arguments: ImageExpectations.loaded.images.onFixtures)
    func decodingOnFixtures(_ entry: ImageExpectations.Entry) throws { try decoding(entry) }

    @Test("decoded pixels equal Pillow's, bit for bit (shared reference photos)", .needsReferenceData, arguments: ImageExpectations.loaded.images.onReferencePhotos)
    func decodingOnReferencePhotos(_ entry: ImageExpectations.Entry) throws { try decoding(entry) }

    private func decoding(_ entry: ImageExpectations.Entry) throws {
        let path = try ImageExpectations.path(entry.file)
        let image = try ImageDecoder().decode(contentsOf: path)
        #expect(image.mode.rawValue == entry.mode)
        #expect(image.width == entry.width && image.height == entry.height)
        #expect(sha256Hex(rawBytes(image)) == entry.decodedSHA256, "raw samples differ")
        #expect(sha256Hex(image.convertedToRGB().pixels) == entry.decodedRGBSHA256, "RGB conversion differs")
    }

    @Test("resize, crop and normalise equal open_clip's transform (committed fixtures)", arguments: ImageExpectations.loaded.images.onFixtures)
    func preprocessingOnFixtures(_ entry: ImageExpectations.Entry) throws { try preprocessing(entry) }

    @Test("resize, crop and normalise equal open_clip's transform (shared reference photos)", .needsReferenceData, arguments: ImageExpectations.loaded.images.onReferencePhotos)
    func preprocessingOnReferencePhotos(_ entry: ImageExpectations.Entry) throws { try preprocessing(entry) }

    private func preprocessing(_ entry: ImageExpectations.Entry) throws {
        let path = try ImageExpectations.path(entry.file)
        let image = try ImageDecoder().decode(contentsOf: path)
        for (size, expected) in entry.sizes.sorted(by: { $0.key < $1.key }) {
            let preprocessor = ImagePreprocessor(size: Int(size)!)
            let rgb = preprocessor.rgb(image)
            #expect(sha256Hex(rgb.pixels) == expected.rgbSHA256, "size \(size): uint8 pixels differ")
            let floats = preprocessor.normalized(rgb)
            for (position, value) in zip(expected.positions, expected.values) {
                #expect(abs(Double(floats[position]) - value) <= Self.normalizedTolerance, "size \(size) element \(position)")
            }
            #expect(abs(floats.reduce(0.0) { $0 + Double($1) } - expected.sum) <= 1e-3 * max(1, abs(expected.sum)))
        }
    }

    @Test("bilinear and nearest resizing equal Pillow's (committed fixtures)", arguments: ImageExpectations.loaded.filters.onFixtures)
    func filtersOnFixtures(_ testCase: ImageExpectations.FilterCase) throws { try filters(testCase) }

    @Test("bilinear and nearest resizing equal Pillow's (shared reference photos)", .needsReferenceData, arguments: ImageExpectations.loaded.filters.onReferencePhotos)
    func filtersOnReferencePhotos(_ testCase: ImageExpectations.FilterCase) throws { try filters(testCase) }

    private func filters(_ testCase: ImageExpectations.FilterCase) throws {
        let path = try ImageExpectations.path(testCase.file)
        let filter: ResampleFilter = testCase.filter == "nearest" ? .nearest : .bilinear
        let rgb = ImagePreprocessor(size: testCase.size, filter: filter).rgb(try ImageDecoder().decode(contentsOf: path))
        #expect(sha256Hex(rgb.pixels) == testCase.rgbSHA256)
    }

    @Test("random-resized-crop boxes resize as torchvision's resized_crop (committed fixtures)", arguments: ImageExpectations.loaded.crops.onFixtures)
    func cropsOnFixtures(_ testCase: ImageExpectations.CropCase) throws { try crops(testCase) }

    @Test("random-resized-crop boxes resize as torchvision's resized_crop (shared reference photos)", .needsReferenceData, arguments: ImageExpectations.loaded.crops.onReferencePhotos)
    func cropsOnReferencePhotos(_ testCase: ImageExpectations.CropCase) throws { try crops(testCase) }

    private func crops(_ testCase: ImageExpectations.CropCase) throws {
        let path = try ImageExpectations.path(testCase.file)
        let crop = RandomResizedCrop(size: testCase.size)
        let box = (top: testCase.box[0], left: testCase.box[1], height: testCase.box[2], width: testCase.box[3])
        let rgb = crop.apply(try ImageDecoder().decode(contentsOf: path), box: box).convertedToRGB()
        #expect(sha256Hex(rgb.pixels) == testCase.rgbSHA256)
    }
}
