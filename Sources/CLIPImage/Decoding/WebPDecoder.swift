import CImageCodecs

/// WebP through libwebp: "RGBA" when the file has alpha, else "RGB", as Pillow opens it.
enum WebPDecoder {
    static func decode(_ data: UnsafeBufferPointer<UInt8>, source: String, limit: Int) throws -> PixelImage {
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeaturesInternal(data.baseAddress, data.count, &features, WEBP_DECODER_ABI_VERSION)
        guard status == VP8_STATUS_OK else {
            if status == VP8_STATUS_NOT_ENOUGH_DATA { throw ImageError.truncated(path: source) }
            throw ImageError.corrupt(path: source, reason: "WebP header status \(status.rawValue)")
        }
        try ImageDecoder.checkSize(width: Int(features.width), height: Int(features.height), source: source, limit: limit)
        var width: Int32 = 0, height: Int32 = 0
        guard let pixels = WebPDecodeRGBA(data.baseAddress, data.count, &width, &height) else {
            throw ImageError.corrupt(path: source, reason: "libwebp could not decode the image (truncated or damaged)")
        }
        defer { WebPFree(pixels) }
        let count = Int(width) * Int(height)
        let rgba = UnsafeBufferPointer(start: pixels, count: count * 4)
        if features.has_alpha != 0 {
            return PixelImage(mode: .rgba, width: Int(width), height: Int(height), samples: Array(rgba))
        }
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            rgb[i * 3] = rgba[i * 4]; rgb[i * 3 + 1] = rgba[i * 4 + 1]; rgb[i * 3 + 2] = rgba[i * 4 + 2]
        }
        return PixelImage(mode: .rgb, width: Int(width), height: Int(height), samples: rgb)
    }
}
