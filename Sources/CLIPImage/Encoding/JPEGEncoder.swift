import CImageCodecs
import Foundation

extension RGBImage {
    /// The image as a baseline JPEG (TurboJPEG, 4:4:4, accurate DCT) at `quality` (1…100).
    public func jpegData(quality: Int = 95) throws -> Data {
        guard let handle = tjInitCompress() else { throw ImageError.invalidParameter("TurboJPEG could not start its compressor") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer { source in
            tjCompress2(handle, source.baseAddress, Int32(width), Int32(width * 3), Int32(height), Int32(TJPF_RGB.rawValue),
                        &buffer, &size, Int32(TJSAMP_444.rawValue), Int32(min(max(quality, 1), 100)), TJFLAG_ACCURATEDCT)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else {
            throw ImageError.invalidParameter("JPEG encoding failed: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Data(bytes: buffer, count: Int(size))
    }
}
