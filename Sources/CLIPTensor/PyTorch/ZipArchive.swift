import CZlib
import Foundation

/// A read-only view of a zip file (the container of `torch.save` and TorchScript archives), over a
/// memory mapping: stored entries are read in place, deflated ones are inflated on request.
/// Zip64 sizes and offsets are understood, as checkpoints beyond 4 GB need them.
final class ZipArchive: @unchecked Sendable {
    struct Entry {
        let name: String
        let method: UInt16          // 0 stored, 8 deflated
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    /// The most bytes one deflated entry may inflate to (`torch.save` stores entries uncompressed;
    /// no tensor storage of a CLIP model comes near this).
    static let maximumInflatedEntryBytes = (1 << 32) - 1
    /// Deflate cannot expand its input by more than this factor (a 258-byte match per 2 bits, plus
    /// block overhead), so a recorded size beyond it is false: the file is refused before inflating.
    static let maximumDeflateRatio = 1_032

    let path: String
    let file: MappedFile
    private(set) var entries: [String: Entry] = [:]

    init(file: MappedFile) throws {
        self.file = file
        path = file.path
        try readCentralDirectory()
    }

    /// Whether the file starts with a zip local-file signature.
    static func hasZipSignature(_ file: MappedFile) -> Bool {
        guard file.size >= 4, let bytes = file.bytes else { return false }
        return bytes.loadUnaligned(as: UInt32.self).littleEndian == 0x0403_4B50
    }

    // MARK: - Reading entries

    /// The bytes of a stored entry, in place in the mapping, or nil for a compressed entry.
    func storedBytes(_ entry: Entry) throws -> UnsafeRawBufferPointer? {
        guard entry.method == 0 else { return nil }
        let start = try dataOffset(entry)
        return UnsafeRawBufferPointer(start: file.bytes.map { $0 + start }, count: entry.uncompressedSize)
    }

    /// The contents of an entry (copied; inflated when deflated), checked against its CRC-32.
    func contents(_ entry: Entry) throws -> Data {
        let data: Data
        if let stored = try storedBytes(entry) {
            data = Data(stored)
        } else if entry.method == 8 {
            data = try inflate(entry)
        } else {
            throw malformed("entry '\(entry.name)' uses compression method \(entry.method); only stored and deflated entries are supported")
        }
        let actual = data.withUnsafeBytes { raw -> UInt32 in
            UInt32(CZlib.crc32(0, raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count)))
        }
        guard actual == entry.crc32 else {
            throw malformed("entry '\(entry.name)' fails its CRC-32 check (corrupt file)")
        }
        return data
    }

    private func dataOffset(_ entry: Entry) throws -> Int {
        let header = entry.localHeaderOffset
        guard header + 30 <= file.size, let bytes = file.bytes,
              bytes.loadUnaligned(fromByteOffset: header, as: UInt32.self).littleEndian == 0x0403_4B50 else {
            throw malformed("entry '\(entry.name)' has no local header at byte \(header)")
        }
        let nameLength = Int(bytes.loadUnaligned(fromByteOffset: header + 26, as: UInt16.self).littleEndian)
        let extraLength = Int(bytes.loadUnaligned(fromByteOffset: header + 28, as: UInt16.self).littleEndian)
        let start = header + 30 + nameLength + extraLength
        let stored = entry.method == 0 ? entry.uncompressedSize : entry.compressedSize
        let (end, overflow) = start.addingReportingOverflow(stored)
        guard !overflow, end <= file.size else {
            throw TensorError.truncatedData(path: path, tensor: entry.name, end: overflow ? Int.max : end, available: file.size)
        }
        return start
    }

    private func inflate(_ entry: Entry) throws -> Data {
        guard entry.uncompressedSize <= Self.maximumInflatedEntryBytes, entry.compressedSize <= Self.maximumInflatedEntryBytes else {
            throw malformed("entry '\(entry.name)' would inflate to \(entry.uncompressedSize) bytes, more than the limit of \(Self.maximumInflatedEntryBytes)")
        }
        guard entry.uncompressedSize / Self.maximumDeflateRatio <= entry.compressedSize else {
            throw malformed("entry '\(entry.name)' claims to inflate \(entry.compressedSize) bytes to \(entry.uncompressedSize), beyond deflate's maximum ratio of \(Self.maximumDeflateRatio):1")
        }
        let start = try dataOffset(entry)
        guard let base = file.bytes else { throw malformed("empty file") }
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw malformed("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data(count: entry.uncompressedSize)
        let status = output.withUnsafeMutableBytes { out -> Int32 in
            stream.next_in = (base + start).assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(entry.compressedSize)
            stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
            stream.avail_out = uInt(entry.uncompressedSize)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == entry.uncompressedSize else {
            throw malformed("entry '\(entry.name)' does not inflate to its recorded size (corrupt or truncated)")
        }
        return output
    }

    // MARK: - Central directory

    private func readCentralDirectory() throws {
        guard let bytes = file.bytes, file.size >= 22 else { throw malformed("too short for a zip file (truncated?)") }
        func u16(_ offset: Int) -> Int { Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian) }
        func u32(_ offset: Int) -> Int { Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian) }
        func u64(_ offset: Int) -> Int { Int(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian) }

        // The end-of-central-directory record sits in the last 22 + 65,535 bytes.
        var end = -1
        var candidate = file.size - 22
        while candidate >= max(0, file.size - 22 - 65_535) {
            if u32(candidate) == 0x0605_4B50 { end = candidate; break }
            candidate -= 1
        }
        guard end >= 0 else { throw malformed("no end-of-central-directory record (truncated or not a zip file)") }
        var count = u16(end + 10)
        var directorySize = u32(end + 12)
        var directoryOffset = u32(end + 16)
        if (count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF), end >= 20,
           u32(end - 20) == 0x0706_4B50 {
            let record = u64(end - 20 + 8)
            guard record >= 0, record + 56 <= file.size, u32(record) == 0x0606_4B50 else {
                throw malformed("zip64 end-of-central-directory record is missing")
            }
            count = u64(record + 32)
            directorySize = u64(record + 40)
            directoryOffset = u64(record + 48)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= file.size, count >= 0 else {
            throw malformed("central directory lies outside the file (truncated?)")
        }
        var offset = directoryOffset
        for _ in 0..<count {
            guard offset + 46 <= directoryOffset + directorySize, u32(offset) == 0x0201_4B50 else {
                throw malformed("central directory entry at byte \(offset) is damaged")
            }
            let flags = u16(offset + 8), method = UInt16(u16(offset + 10))
            let crc = UInt32(u32(offset + 16))
            var compressed = u32(offset + 20), uncompressed = u32(offset + 24)
            let nameLength = u16(offset + 28), extraLength = u16(offset + 30), commentLength = u16(offset + 32)
            var localHeader = u32(offset + 42)
            let next = offset + 46 + nameLength + extraLength + commentLength
            guard next <= directoryOffset + directorySize else { throw malformed("central directory entry at byte \(offset) is cut off") }
            let name = String(decoding: UnsafeRawBufferPointer(start: bytes + offset + 46, count: nameLength), as: UTF8.self)
            guard flags & 1 == 0 else { throw malformed("entry '\(name)' is encrypted") }
            // Zip64 extra field: the 64-bit values of whichever 32-bit fields are saturated, in order.
            var extra = offset + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), size = u16(extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + size { uncompressed = u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + size { compressed = u64(field); field += 8 }
                    if localHeader == 0xFFFF_FFFF, field + 8 <= extra + 4 + size { localHeader = u64(field) }
                }
                extra += 4 + size
            }
            guard compressed >= 0, uncompressed >= 0, localHeader >= 0 else { throw malformed("entry '\(name)' has invalid sizes") }
            entries[name] = Entry(name: name, method: method, crc32: crc, compressedSize: compressed,
                                  uncompressedSize: uncompressed, localHeaderOffset: localHeader)
            offset = next
        }
    }

    private func malformed(_ reason: String) -> TensorError {
        .malformedCheckpoint(path: path, reason: reason)
    }
}
