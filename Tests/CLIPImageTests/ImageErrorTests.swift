@testable import CLIPImage
import CLIPTestSupport
import Foundation
import Testing

@Suite("Bad image files")
struct ImageErrorTests {
    static let directory: URL = {
        let url = temporaryPath("clip-image-errors")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: ReferenceData.fixturesDirectory().appendingPathComponent("images/\(name)"))
    }

    static func write(_ data: Data, _ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("truncated files are reported as truncated", arguments: ["square_224.jpg", "odd_97x61.png", "rgb_interlaced.png"])
    func truncated(_ name: String) throws {
        let data = try Self.fixture(name)
        let path = try Self.write(data.prefix(data.count * 2 / 3), "cut-\(name)")
        #expect(throws: ImageError.truncated(path: path)) { try ImageDecoder().decode(contentsOf: path) }
    }

    @Test("a truncated WebP is refused")
    func truncatedWebP() throws {
        let data = try Self.fixture("lossless.webp")
        let path = try Self.write(data.prefix(data.count / 2), "cut.webp")
        #expect(throws: ImageError.self) { try ImageDecoder().decode(contentsOf: path) }
    }

    @Test("corrupted data is refused with the decoder's reason")
    func corrupt() throws {
        // Damage inside the compressed pixel data (IDAT), and separately a wrong chunk checksum.
        var png = try Self.fixture("odd_97x61.png")
        let idat = try #require(png.range(of: Data("IDAT".utf8))).upperBound
        for i in stride(from: idat + 10, to: idat + 300, by: 7) { png[i] ^= 0x5A }
        let pngPath = try Self.write(png, "corrupt.png")
        var checksum = try Self.fixture("odd_97x61.png")
        checksum[100] ^= 0x01
        let checksumPath = try Self.write(checksum, "bad-crc.png")
        #expect(throws: ImageError.self) { try ImageDecoder().decode(contentsOf: checksumPath) }
        #expect {
            try ImageDecoder().decode(contentsOf: pngPath)
        } throws: { error in
            guard case let ImageError.corrupt(path, reason) = error else { return false }
            return path == pngPath && !reason.isEmpty
        }
        var jpeg = try Self.fixture("square_224.jpg")
        jpeg.replaceSubrange(2..<40, with: [UInt8](repeating: 0x00, count: 38))
        let jpegPath = try Self.write(jpeg, "corrupt.jpg")
        #expect(throws: ImageError.self) { try ImageDecoder().decode(contentsOf: jpegPath) }
    }

    @Test("decoder failures are described in words, without library status codes or function names")
    func readableReasons() throws {
        // A WebP whose VP8L bitstream signature is damaged, and a JPEG whose header segments are zeros.
        var webp = try Self.fixture("lossless.webp")
        let vp8l = try #require(webp.range(of: Data("VP8L".utf8))).upperBound
        webp[vp8l + 4] = 0x00
        var jpeg = try Self.fixture("square_224.jpg")
        jpeg.replaceSubrange(4..<40, with: [UInt8](repeating: 0x00, count: 36))
        for (name, data) in [("damaged.webp", webp), ("damaged.jpg", jpeg)] {
            let path = try Self.write(data, name)
            #expect {
                try ImageDecoder().decode(contentsOf: path)
            } throws: { error in
                guard case let ImageError.corrupt(errorPath, reason) = error else { return false }
                let text = "\(error)"
                return errorPath == path && !reason.isEmpty && !text.contains("status") && !text.contains("tj")
                    && text.hasPrefix("\(path): corrupt image: ")
            }
        }
    }

    @Test("a progressive JPEG with more than 500 scans is refused, not decoded for minutes", .needsReferenceData)
    func scanLimit() throws {
        // The first scan of a progressive photo, repeated: each copy is one more pass over the image.
        let progressive = try Data(contentsOf: ReferenceData.sharedFile("images/chelsea_progressive.jpg"))
        let sos = try #require(progressive.range(of: Data([0xFF, 0xDA]))).lowerBound
        var end = sos + 2
        while end + 1 < progressive.count, !(progressive[end] == 0xFF && progressive[end + 1] != 0x00 && !(0xD0...0xD7).contains(progressive[end + 1])) { end += 1 }
        var bomb = Data(progressive[..<end])
        for _ in 0..<600 { bomb.append(progressive[sos..<end]) }
        bomb.append(progressive[end...])
        let path = try Self.write(bomb, "many-scans.jpg")
        #expect {
            try ImageDecoder().decode(contentsOf: path)
        } throws: { error in
            guard case let ImageError.corrupt(_, reason) = error else { return false }
            return reason.contains("500 scans")
        }
    }

    @Test("images above the pixel limit are refused from the header")
    func oversized() throws {
        let path = ReferenceData.fixturesDirectory().appendingPathComponent("images/square_224.jpg").path
        #expect(throws: ImageError.tooLarge(path: path, width: 224, height: 224, limit: 50_000)) {
            try ImageDecoder(maximumPixels: 50_000).decode(contentsOf: path)
        }
        // A PNG header claiming 100,000 × 100,000 pixels, with no pixel data at all.
        var header = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        header.append(contentsOf: Array("IHDR".utf8))
        header.append(contentsOf: [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0])
        let bomb = try Self.write(header, "bomb.png")
        #expect(throws: ImageError.tooLarge(path: bomb, width: 100_000, height: 100_000, limit: ImageDecoder.defaultMaximumPixels)) {
            try ImageDecoder().decode(contentsOf: bomb)
        }
    }

    @Test("the format comes from the bytes: a PNG named .jpg decodes, text named .png does not")
    func wronglyNamed() throws {
        let png = try Self.fixture("odd_97x61.png")
        let renamed = try Self.write(png, "actually-png.jpg")
        #expect(try ImageDecoder().decode(contentsOf: renamed).width == 97)
        let text = try Self.write(Data("not an image at all".utf8), "text.png")
        #expect(throws: ImageError.unsupportedFormat(path: text, detected: nil)) { try ImageDecoder().decode(contentsOf: text) }
        let gif = try Self.write(Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8), "image.gif.png")
        #expect(throws: ImageError.unsupportedFormat(path: gif, detected: "GIF")) { try ImageDecoder().decode(contentsOf: gif) }
    }

    @Test("missing and empty files are reported")
    func missingAndEmpty() throws {
        #expect(throws: ImageError.self) { try ImageDecoder().decode(contentsOf: "/nonexistent/cat.jpg") }
        let empty = try Self.write(Data(), "empty.jpg")
        #expect(throws: ImageError.unsupportedFormat(path: empty, detected: nil)) { try ImageDecoder().decode(contentsOf: empty) }
    }

    @Test("preprocessing parameters are validated")
    func parameters() {
        #expect(throws: ImageError.self) { try ImagePreprocessor(size: 0).validate() }
        #expect(throws: ImageError.self) { try ImagePreprocessor(mean: [0.5]).validate() }
        #expect(throws: ImageError.self) { try ImagePreprocessor(standardDeviation: [1, 0, 1]).validate() }
        #expect(throws: Never.self) { try ImagePreprocessor().validate() }
    }
}

@Suite("Augmentation")
struct AugmentationTests {
    @Test("crop boxes stay inside the image, follow the scale range, and repeat with the seed")
    func cropBoxes() {
        let crop = RandomResizedCrop(size: 64)
        var a = SeededGenerator(seed: 1), b = SeededGenerator(seed: 1)
        for _ in 0..<200 {
            let box = crop.cropBox(width: 451, height: 300, using: &a)
            #expect(box == crop.cropBox(width: 451, height: 300, using: &b))
            #expect(box.top >= 0 && box.left >= 0 && box.top + box.height <= 300 && box.left + box.width <= 451)
            let area = Double(box.width * box.height) / Double(451 * 300)
            #expect(area > 0.85 && area <= 1.0)
        }
    }

    @Test("a flip probability of one mirrors the crop")
    func flip() throws {
        let image = PixelImage(mode: .rgb, width: 2, height: 1, samples: [1, 2, 3, 4, 5, 6])
        var generator = SeededGenerator(seed: 3)
        let crop = RandomResizedCrop(size: 2, scale: 1...1, ratio: 2...2, flipProbability: 1)
        #expect(crop(image, using: &generator).pixels == [4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3])  // 2×2 output
    }
}

/// SplitMix64, for repeatable test randomness.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Limits: image sizes")
struct ImageLimitTests {
    /// A PNG of only a header: IHDR declaring `width`×`height`, then IEND.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let length = UInt32(body.count)
            let typed = Array(type.utf8) + body
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in typed {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            crc = ~crc
            return withUnsafeBytes(of: length.bigEndian, Array.init) + typed + withUnsafeBytes(of: crc.bigEndian, Array.init)
        }
        let ihdr = withUnsafeBytes(of: width.bigEndian, Array.init) + withUnsafeBytes(of: height.bigEndian, Array.init) + [8, 2, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IEND", []))
    }

    @Test("pixels above maximumPixels are refused from the header, naming the limit; 2³²−1 sides do not overflow the message")
    func pixelLimit() {
        let decoder = ImageDecoder(maximumPixels: 1_000)
        #expect(throws: ImageError.tooLarge(path: "wide.png", width: 1_001, height: 1, limit: 1_000)) {
            _ = try decoder.decode(Self.pngHeader(width: 1_001, height: 1), source: "wide.png")
        }
        do {
            _ = try ImageDecoder().decode(Self.pngHeader(width: .max, height: .max), source: "max.png")
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("more than \(Int.max) pixels exceeds the limit of \(ImageDecoder.defaultMaximumPixels)"), "\(error)")
        }
    }
}
