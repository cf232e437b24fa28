import CLIPImage
import CLIPTestSupport
import Foundation
import Testing

/// Resizing only a window of the output (what the centre crop keeps) must give the pixels of the full
/// resize (checked against Pillow elsewhere), then cropped.
@Suite("Windowed resizing equals resizing, then cropping")
struct WindowedResizeTests {
    struct Case: Sendable, CustomStringConvertible {
        let mode: PixelImage.Mode
        let width: Int, height: Int
        let target: (Int, Int)
        let filter: ResampleFilter
        var description: String { "\(mode.rawValue) \(width)×\(height) → \(target.0)×\(target.1) \(filter)" }
    }

    static let cases: [Case] = [
        Case(mode: .rgb, width: 97, height: 61, target: (50, 32), filter: .bicubic),        // downscale
        Case(mode: .rgb, width: 12, height: 5, target: (76, 32), filter: .bicubic),         // upscale
        Case(mode: .rgba, width: 40, height: 90, target: (32, 72), filter: .bilinear),      // premultiplied alpha
        Case(mode: .luminance16, width: 33, height: 20, target: (52, 32), filter: .bicubic),
        Case(mode: .palette, width: 45, height: 30, target: (48, 32), filter: .bicubic),    // palette: nearest
        Case(mode: .luminance, width: 3, height: 700, target: (32, 7466), filter: .bicubic), // over 100× taller
        Case(mode: .rgb, width: 64, height: 64, target: (64, 20), filter: .bicubic),        // one axis only
    ]

    static func image(_ testCase: Case) -> PixelImage {
        var generator = SystemRandomNumberGenerator()
        let count = testCase.width * testCase.height
        if testCase.mode == .luminance16 {
            return PixelImage(mode: .luminance16, width: testCase.width, height: testCase.height,
                              samples16: (0..<count).map { _ in UInt16.random(in: 0...65535, using: &generator) })
        }
        let samples = (0..<(count * testCase.mode.channels)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let palette = testCase.mode == .palette ? (0..<768).map { UInt8($0 % 256) } : []
        return PixelImage(mode: testCase.mode, width: testCase.width, height: testCase.height, samples: samples, palette: palette)
    }

    @Test("every window of the output", arguments: cases)
    func windows(_ testCase: Case) {
        let image = Self.image(testCase)
        let (width, height) = testCase.target
        let full = image.resized(width: width, height: height, filter: testCase.filter)
        for (left, top, w, h) in [(0, 0, width, height), (width / 3, height / 4, width / 2, height / 2), (width - 1, height - 1, 1, 1)] {
            let window = PixelWindow(columns: left..<(left + w), rows: top..<(top + h))
            let windowed = image.resized(width: width, height: height, filter: testCase.filter, window: window)
            let cropped = full.cropped(left: left, top: top, width: w, height: h)
            #expect(windowed.width == w && windowed.height == h)
            #expect(windowed.samples == cropped.samples && windowed.samples16 == cropped.samples16, "window \(window)")
        }
    }

    @Test("a 46,341 × 1 image preprocesses to 224 × 224 without the 10-million-pixel intermediate")
    func veryWideImage() throws {
        let image = PixelImage(mode: .rgb, width: 46_341, height: 1, samples: [UInt8](repeating: 128, count: 46_341 * 3))
        let started = Date()
        let pixels = ImagePreprocessor(size: 224).rgb(image)
        #expect(pixels.width == 224 && pixels.height == 224 && Set(pixels.pixels) == [128])
        #expect(Date().timeIntervalSince(started) < 5, "the full resize took 16 s and 7 GB")
    }
}
