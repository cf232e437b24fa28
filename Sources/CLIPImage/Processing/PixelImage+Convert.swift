/// Pillow's mode conversions (Convert.c) that the reference pipeline uses.
extension PixelImage {
    /// `image.convert("RGB")`.
    public func convertedToRGB() -> RGBImage {
        let count = width * height
        var rgb = [UInt8](repeating: 0, count: count * 3)
        switch mode {
        case .rgb:
            rgb = samples
        case .rgba:
            for i in 0..<count { for c in 0..<3 { rgb[i * 3 + c] = samples[i * 4 + c] } }
        case .bilevel, .luminance:
            for i in 0..<count { let v = mode == .bilevel && samples[i] != 0 ? 255 : samples[i]; rgb[i * 3] = v; rgb[i * 3 + 1] = v; rgb[i * 3 + 2] = v }
        case .luminanceAlpha:
            for i in 0..<count { let v = samples[i * 2]; rgb[i * 3] = v; rgb[i * 3 + 1] = v; rgb[i * 3 + 2] = v }
        case .palette:
            for i in 0..<count { let p = Int(samples[i]) * 3; rgb[i * 3] = palette[p]; rgb[i * 3 + 1] = palette[p + 1]; rgb[i * 3 + 2] = palette[p + 2] }
        case .cmyk:
            // cmyk2rgb: no undercolour removal.
            for i in 0..<count {
                let inverseK = 255 - Int(samples[i * 4 + 3])
                for c in 0..<3 { rgb[i * 3 + c] = Self.clip8(inverseK - Self.mulDiv255(Int(samples[i * 4 + c]), inverseK)) }
            }
        case .luminance16:
            // I16_RGB: values above 255 saturate.
            for i in 0..<count { let v: UInt8 = samples16[i] > 255 ? 255 : UInt8(samples16[i]); rgb[i * 3] = v; rgb[i * 3 + 1] = v; rgb[i * 3 + 2] = v }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// RGBA → "RGBa" or LA → "La": colour multiplied by alpha (`rgbA2rgba`, `lA2la`).
    func premultiplied() -> PixelImage {
        precondition(mode == .rgba || mode == .luminanceAlpha)
        let channels = mode.channels
        var out = samples
        for pixel in 0..<(width * height) {
            let base = pixel * channels
            let alpha = Int(samples[base + channels - 1])
            for c in 0..<(channels - 1) { out[base + c] = UInt8(Self.mulDiv255(Int(samples[base + c]), alpha)) }
        }
        return with(width: width, height: height, samples: out)
    }

    /// "RGBa" → RGBA or "La" → LA: colour divided by alpha again (`rgba2rgbA`, `la2lA`).
    func unpremultiplied() -> PixelImage {
        precondition(mode == .rgba || mode == .luminanceAlpha)
        let channels = mode.channels
        var out = samples
        for pixel in 0..<(width * height) {
            let base = pixel * channels
            let alpha = Int(samples[base + channels - 1])
            guard alpha != 0 && alpha != 255 else { continue }
            for c in 0..<(channels - 1) { out[base + c] = Self.clip8(255 * Int(samples[base + c]) / alpha) }
        }
        return with(width: width, height: height, samples: out)
    }

    /// Pillow's MULDIV255: a·b/255 rounded, in integers.
    @inline(__always) static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let t = a * b + 128
        return ((t >> 8) + t) >> 8
    }

    @inline(__always) static func clip8(_ v: Int) -> UInt8 { v <= 0 ? 0 : v < 256 ? UInt8(v) : 255 }
}
