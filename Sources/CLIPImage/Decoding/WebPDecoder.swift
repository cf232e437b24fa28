import CImageCodecs

/// WebP through libwebp: "RGBA" when the file has alpha, else "RGB", as Pillow opens it. An
/// animation decodes to its first frame composed on the canvas, as Pillow's `Image.open` shows it.
enum WebPDecoder {
    static func decode(_ data: UnsafeBufferPointer<UInt8>, source: String, limit: Int) throws -> PixelImage {
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeaturesInternal(data.baseAddress, data.count, &features, WEBP_DECODER_ABI_VERSION)
        guard status == VP8_STATUS_OK else { throw error(status, data: data, source: source) }
        try ImageDecoder.checkSize(width: Int(features.width), height: Int(features.height), source: source, limit: limit)
        let hasAlpha = features.has_alpha != 0
        if features.has_animation != 0 {
            return try decodeFirstFrame(data, hasAlpha: hasAlpha, source: source)
        }
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfigInternal(&config, WEBP_DECODER_ABI_VERSION) != 0 else {
            throw ImageError.corrupt(path: source, reason: "this libwebp cannot decode WebP (version mismatch)")
        }
        config.output.colorspace = MODE_RGBA
        let decoded = WebPDecode(data.baseAddress, data.count, &config)
        defer { WebPFreeDecBuffer(&config.output) }
        guard decoded == VP8_STATUS_OK, let pixels = config.output.u.RGBA.rgba else {
            throw error(decoded == VP8_STATUS_OK ? VP8_STATUS_BITSTREAM_ERROR : decoded, data: data, source: source)
        }
        return image(fromRGBA: pixels, width: Int(config.output.width), height: Int(config.output.height),
                     stride: Int(config.output.u.RGBA.stride), hasAlpha: hasAlpha)
    }

    /// The first frame through libwebp's animation decoder, which Pillow uses for every WebP.
    private static func decodeFirstFrame(_ data: UnsafeBufferPointer<UInt8>, hasAlpha: Bool, source: String) throws -> PixelImage {
        var options = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInitInternal(&options, WEBP_DEMUX_ABI_VERSION) != 0 else {
            throw ImageError.corrupt(path: source, reason: "this libwebp cannot decode WebP animations (version mismatch)")
        }
        options.color_mode = MODE_RGBA
        options.use_threads = 0
        var webpData = WebPData(bytes: data.baseAddress, size: data.count)
        guard let decoder = WebPAnimDecoderNewInternal(&webpData, &options, WEBP_DEMUX_ABI_VERSION) else {
            if isTruncated(data) { throw ImageError.truncated(path: source) }
            throw ImageError.corrupt(path: source, reason: "the WebP animation's frame layout is invalid")
        }
        defer { WebPAnimDecoderDelete(decoder) }
        var info = WebPAnimInfo()
        var canvas: UnsafeMutablePointer<UInt8>?
        var timestamp: Int32 = 0
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0,
              WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0, let canvas else {
            if isTruncated(data) { throw ImageError.truncated(path: source) }
            throw ImageError.corrupt(path: source, reason: "the first frame of the WebP animation cannot be decoded")
        }
        let width = Int(info.canvas_width)
        return image(fromRGBA: canvas, width: width, height: Int(info.canvas_height), stride: width * 4, hasAlpha: hasAlpha)
    }

    private static func image(fromRGBA rgba: UnsafePointer<UInt8>, width: Int, height: Int, stride: Int,
                              hasAlpha: Bool) -> PixelImage {
        let channels = hasAlpha ? 4 : 3
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        samples.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = rgba + y * stride
                let target = out.baseAddress! + y * width * channels
                if hasAlpha {
                    target.update(from: row, count: width * 4)
                } else {
                    for x in 0..<width {
                        target[x * 3] = row[x * 4]; target[x * 3 + 1] = row[x * 4 + 1]; target[x * 3 + 2] = row[x * 4 + 2]
                    }
                }
            }
        }
        return PixelImage(mode: hasAlpha ? .rgba : .rgb, width: width, height: height, samples: samples)
    }

    /// The RIFF header declares more bytes than the file holds.
    private static func isTruncated(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        guard data.count >= 8 else { return true }
        let declared = (0..<4).reduce(0) { $0 | Int(data[4 + $1]) << (8 * $1) }
        return data.count < declared + 8
    }

    private static func error(_ status: VP8StatusCode, data: UnsafeBufferPointer<UInt8>, source: String) -> ImageError {
        if status == VP8_STATUS_NOT_ENOUGH_DATA || (status != VP8_STATUS_UNSUPPORTED_FEATURE && isTruncated(data)) {
            return .truncated(path: source)
        }
        let reason = switch status {
        case VP8_STATUS_OUT_OF_MEMORY: "libwebp ran out of memory"
        case VP8_STATUS_UNSUPPORTED_FEATURE: "the WebP file uses a feature libwebp does not support"
        case VP8_STATUS_INVALID_PARAM: "libwebp refused the WebP header's parameters"
        default: "the WebP image data is damaged"
        }
        return .corrupt(path: source, reason: reason)
    }
}
