import CImageCodecs

/// HEIF (HEIC, the iPhone's photos) and AVIF through libheif (libde265, dav1d or libaom below it):
/// the primary image with its rotation and mirroring applied, "RGBA" when it has alpha, else
/// "RGB", as pillow-heif opens it. Deeper colour is reduced to 8 bits per sample.
enum HEIFDecoder {
    /// Major and compatible brands that name a still image libheif decodes.
    static let brands: Set<String> = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"]

    static func decode(_ data: UnsafeBufferPointer<UInt8>, source: String, limit: Int) throws -> PixelImage {
        guard let context = heif_context_alloc() else { throw ImageError.corrupt(path: source, reason: "libheif could not start") }
        defer { heif_context_free(context) }
        // libheif refuses images wider or taller than this before allocating them.
        heif_context_set_maximum_image_size_limit(context, Int32(clamping: min(limit, 1 << 28)))
        try check(heif_context_read_from_memory_without_copy(context, data.baseAddress, data.count, nil), source: source, data: data)
        var handle: OpaquePointer?
        try check(heif_context_get_primary_image_handle(context, &handle), source: source, data: data)
        guard let handle else { throw ImageError.corrupt(path: source, reason: "the file has no primary image") }
        defer { heif_image_handle_release(handle) }
        let (declaredWidth, declaredHeight) = (Int(heif_image_handle_get_width(handle)), Int(heif_image_handle_get_height(handle)))
        try ImageDecoder.checkSize(width: declaredWidth, height: declaredHeight, source: source, limit: limit)
        // An overlay or grid item can declare a small size and compose a far larger canvas, which
        // libheif checks only against its per-side limit: that limit becomes the declared longest side.
        heif_context_set_maximum_image_size_limit(context, Int32(min(max(declaredWidth, declaredHeight), maximumSide(for: limit))))
        let hasAlpha = heif_image_handle_has_alpha_channel(handle) != 0
        var image: OpaquePointer?
        try check(heif_decode_image(handle, &image, heif_colorspace_RGB, hasAlpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, nil),
                  source: source, data: data)
        guard let image else { throw ImageError.corrupt(path: source, reason: "libheif returned no image") }
        defer { heif_image_release(image) }
        let width = Int(heif_image_get_width(image, heif_channel_interleaved))
        let height = Int(heif_image_get_height(image, heif_channel_interleaved))
        try ImageDecoder.checkSize(width: width, height: height, source: source, limit: limit)
        var stride: Int32 = 0
        guard let plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride), Int(stride) >= width * (hasAlpha ? 4 : 3) else {
            throw ImageError.corrupt(path: source, reason: "libheif returned no interleaved RGB plane")
        }
        let channels = hasAlpha ? 4 : 3
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        samples.withUnsafeMutableBufferPointer { out in
            for y in 0..<height { (out.baseAddress! + y * width * channels).update(from: plane + y * Int(stride), count: width * channels) }
        }
        return PixelImage(mode: hasAlpha ? .rgba : .rgb, width: width, height: height, samples: samples)
    }

    /// The longest side accepted under a limit of `limit` pixels: four times the side of a square of
    /// that area (40,000 pixels at the default 100 megapixels), so that a canvas of that side squared
    /// stays within 16 times the limit.
    static func maximumSide(for limit: Int) -> Int {
        min(4 * Int(Double(max(limit, 1)).squareRoot().rounded(.up)), 1 << 28)
    }

    private static func check(_ error: heif_error, source: String, data: UnsafeBufferPointer<UInt8>) throws {
        guard error.code != heif_error_Ok else { return }
        let message = error.message.map { String(cString: $0) } ?? "error \(error.code.rawValue)"
        if error.code == heif_error_Invalid_input && error.subcode == heif_suberror_End_of_data { throw ImageError.truncated(path: source) }
        if error.code == heif_error_Memory_allocation_error || error.subcode == heif_suberror_Security_limit_exceeded {
            throw ImageError.corrupt(path: source, reason: "refused by libheif's limits: \(message)")
        }
        throw ImageError.corrupt(path: source, reason: message.prefix(1).lowercased() + message.dropFirst())
    }
}
