import CImageCodecs

/// PNG through libpng, mapped to the modes and sample values of Pillow's PNG plugin
/// (`PngImagePlugin._MODES` and its unpackers).
enum PNGDecoder {
    static func decode(_ data: UnsafeBufferPointer<UInt8>, source: String, limit: Int) throws -> PixelImage {
        var width: UInt32 = 0, height: UInt32 = 0
        guard clip_png_read_size(data.baseAddress, data.count, &width, &height) == 0 else {
            throw ImageError.corrupt(path: source, reason: "missing PNG header")
        }
        try ImageDecoder.checkSize(width: Int(width), height: Int(height), source: source, limit: limit)
        var png = clip_png_image()
        var message = [CChar](repeating: 0, count: 256)
        guard clip_png_decode(data.baseAddress, data.count, &png, &message, message.count) == 0 else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if reason.contains("truncated") || reason.contains("Not enough image data") || reason.contains("Read Error") {
                throw ImageError.truncated(path: source)
            }
            throw ImageError.corrupt(path: source, reason: reason)
        }
        defer { clip_png_release(&png) }
        let (w, h, rowBytes) = (Int(png.width), Int(png.height), png.row_bytes)
        let raw = UnsafeBufferPointer(start: png.pixels, count: rowBytes * h)
        func eachSample(_ body: (_ row: Int, _ rowStart: Int) -> Void) {
            for y in 0..<h { body(y, y * rowBytes) }
        }

        switch (Int(png.color_type), Int(png.bit_depth)) {
        case (0, 1):
            // "1": each bit becomes 0 or 255.
            return PixelImage(mode: .bilevel, width: w, height: h, samples: gather(raw, w, h, rowBytes, 1) { $0 == 0 ? 0 : 255 })
        case (0, 2):
            return PixelImage(mode: .luminance, width: w, height: h, samples: gather(raw, w, h, rowBytes, 1) { $0 &* 0x55 })
        case (0, 4):
            return PixelImage(mode: .luminance, width: w, height: h, samples: gather(raw, w, h, rowBytes, 1) { $0 &* 0x11 })
        case (0, 8):
            return PixelImage(mode: .luminance, width: w, height: h, samples: gather(raw, w, h, rowBytes, 1) { $0 })
        case (0, 16):
            var values = [UInt16](repeating: 0, count: w * h)
            eachSample { y, start in
                for x in 0..<w { values[y * w + x] = UInt16(raw[start + 2 * x]) << 8 | UInt16(raw[start + 2 * x + 1]) }
            }
            return PixelImage(mode: .luminance16, width: w, height: h, samples16: values)
        case (2, 8):
            return PixelImage(mode: .rgb, width: w, height: h, samples: gather(raw, w, h, rowBytes, 3) { $0 })
        case (2, 16):
            return PixelImage(mode: .rgb, width: w, height: h, samples: highBytes(raw, w, h, rowBytes, 3))
        case (3, _):
            // Pillow's palette starts as a grey ramp; the PLTE entries overwrite its beginning.
            var palette = (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] }
            for i in 0..<(Int(png.palette_count) * 3) { palette[i] = tupleByte(png.palette, i) }
            return PixelImage(mode: .palette, width: w, height: h, samples: gather(raw, w, h, rowBytes, 1) { $0 }, palette: palette)
        case (4, 8):
            return PixelImage(mode: .luminanceAlpha, width: w, height: h, samples: gather(raw, w, h, rowBytes, 2) { $0 })
        case (4, 16):
            // Pillow opens 16-bit grey+alpha as RGBA (grey repeated), high bytes kept.
            let la = highBytes(raw, w, h, rowBytes, 2)
            var rgba = [UInt8](repeating: 0, count: w * h * 4)
            for i in 0..<(w * h) {
                rgba[i * 4] = la[i * 2]; rgba[i * 4 + 1] = la[i * 2]; rgba[i * 4 + 2] = la[i * 2]; rgba[i * 4 + 3] = la[i * 2 + 1]
            }
            return PixelImage(mode: .rgba, width: w, height: h, samples: rgba)
        case (6, 8):
            return PixelImage(mode: .rgba, width: w, height: h, samples: gather(raw, w, h, rowBytes, 4) { $0 })
        case (6, 16):
            return PixelImage(mode: .rgba, width: w, height: h, samples: highBytes(raw, w, h, rowBytes, 4))
        default:
            throw ImageError.corrupt(path: source, reason: "unsupported PNG colour type \(png.color_type) with bit depth \(png.bit_depth)")
        }
    }

    /// Copies `channels` byte samples per pixel row by row, mapping each.
    private static func gather(_ raw: UnsafeBufferPointer<UInt8>, _ w: Int, _ h: Int, _ rowBytes: Int, _ channels: Int,
                               _ map: (UInt8) -> UInt8) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: w * h * channels)
        for y in 0..<h {
            for i in 0..<(w * channels) { out[y * w * channels + i] = map(raw[y * rowBytes + i]) }
        }
        return out
    }

    /// The high byte of each 16-bit big-endian sample (Pillow's ";16B" unpackers).
    private static func highBytes(_ raw: UnsafeBufferPointer<UInt8>, _ w: Int, _ h: Int, _ rowBytes: Int, _ channels: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: w * h * channels)
        for y in 0..<h {
            for i in 0..<(w * channels) { out[y * w * channels + i] = raw[y * rowBytes + 2 * i] }
        }
        return out
    }

    private static func tupleByte<T>(_ tuple: T, _ index: Int) -> UInt8 {
        withUnsafeBytes(of: tuple) { $0[index] }
    }
}
