import CImageCodecs

/// JPEG through libjpeg-turbo's TurboJPEG API, with libjpeg's defaults as Pillow uses them: the
/// accurate integer IDCT and fancy upsampling. A progressive file may have at most 500 scans
/// (libjpeg-turbo's limit): each scan is a pass over the whole image, so thousands of tiny scans
/// would make a small file take minutes to decode.
enum JPEGDecoder {
    static func decode(_ data: UnsafeBufferPointer<UInt8>, source: String, limit: Int) throws -> PixelImage {
        guard let handle = tjInitDecompress() else { throw ImageError.corrupt(path: source, reason: "TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, data.baseAddress, UInt(data.count), &width, &height, &subsampling, &colorspace) == 0 else {
            throw error(handle, source: source)
        }
        try ImageDecoder.checkSize(width: Int(width), height: Int(height), source: source, limit: limit)
        // Pillow's modes: one component is "L", four (CMYK or YCCK) are "CMYK", the rest "RGB".
        let (mode, pixelFormat): (PixelImage.Mode, TJPF) = switch TJCS(UInt32(colorspace)) {
        case TJCS_GRAY: (.luminance, TJPF_GRAY)
        case TJCS_CMYK, TJCS_YCCK: (.cmyk, TJPF_CMYK)
        default: (.rgb, TJPF_RGB)
        }
        let channels = mode.channels
        var samples = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let status = samples.withUnsafeMutableBufferPointer { out in
            tjDecompress2(handle, data.baseAddress, UInt(data.count), out.baseAddress, width, Int32(Int(width) * channels),
                          height, pixelFormat.rawValue, TJFLAG_LIMITSCANS)
        }
        if status != 0 {
            // A non-zero status is a fatal error or a warning. libjpeg treats missing data as a warning
            // and pads the image; Pillow refuses such files. Other warnings (extraneous bytes) pass,
            // as in Pillow. (The message is read only here: without an error on this handle,
            // tjGetErrorStr2 returns a process-wide string that other threads may have set.)
            let fatal = tjGetErrorCode(handle) == TJERR_FATAL.rawValue
            let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? ""
            if message.contains("Premature end") { throw ImageError.truncated(path: source) }
            if fatal { throw ImageError.corrupt(path: source, reason: reason(message)) }
        }
        if mode == .cmyk {
            // Pillow reads CMYK JPEGs as Adobe-inverted ("CMYK;I").
            for i in samples.indices { samples[i] = ~samples[i] }
        }
        return PixelImage(mode: mode, width: Int(width), height: Int(height), samples: samples)
    }

    private static func error(_ handle: tjhandle, source: String) -> ImageError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        if message.contains("Premature end") { return .truncated(path: source) }
        return .corrupt(path: source, reason: reason(message))
    }

    /// libjpeg's message without the name of the TurboJPEG function that passed it on
    /// ("tjDecompressHeader3(): …").
    private static func reason(_ message: String) -> String {
        guard message.hasPrefix("tj"), let call = message.range(of: "(): ") else { return message }
        return String(message[call.upperBound...])
    }
}
