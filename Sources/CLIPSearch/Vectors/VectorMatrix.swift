import CLIPFileSystem
import Foundation

/// An append-only file of fixed-width vectors, memory-mapped so that a search scans contiguous
/// memory.
///
/// Layout: a 32-byte header (the magic `CLIPVEC1`, then little-endian UInt32s: format version 1,
/// width, element code 1 = f32 / 2 = f16, and zeros), then the rows, each `width` elements. The
/// row count is what the file's length holds; a partial row at the end (a write cut short) is not
/// counted and is cut off when the file is next opened for writing. `append` returns only after the
/// rows are on disk, so a catalogue that records them afterwards never refers to a missing row.
public final class VectorMatrix: @unchecked Sendable {
    /// The file.
    public let path: String
    /// Features per row.
    public let width: Int
    /// How each feature is stored.
    public let element: VectorElement
    /// Rows in the file.
    public private(set) var count: Int

    static let magic = Array("CLIPVEC1".utf8)
    static let headerSize = 32
    /// The widest vector accepted (CLIP embeddings are 512–1280 wide).
    public static let maximumWidth = 65_536

    private let descriptor: Int32
    private let writable: Bool
    /// The current mapping; a search keeps the one it started with alive while appends map anew.
    private var mapping: Mapping?
    private let lock = NSLock()

    /// A read-only mapping of the file's first `length` bytes, unmapped when the last user lets go.
    private final class Mapping {
        let base: UnsafeRawPointer
        let length: Int
        init(base: UnsafeRawPointer, length: Int) {
            self.base = base
            self.length = length
        }
        deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }
    }

    /// Bytes per row.
    public var rowBytes: Int { width * element.byteSize }

    /// Opens the vector file at `path`, creating it with `width` and `element` if it does not exist
    /// (and `writable`). An existing file must have the same width and element type.
    public init(path: String, width: Int, element: VectorElement, writable: Bool = true) throws {
        guard (1...Self.maximumWidth).contains(width) else {
            throw SearchError.invalidQuery("vector width \(width) is outside 1…\(Self.maximumWidth)")
        }
        if let kind = SpecialFiles.kind(of: path) { throw SearchError.io(path: path, reason: "\(kind), not a vector file") }
        self.path = path
        self.width = width
        self.element = element
        self.writable = writable
        descriptor = open(path, writable ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SearchError.io(path: path, reason: String(cString: strerror(errno)).lowercased()) }
        count = 0
        do {
            try readOrWriteHeader()
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// A writable matrix in a file of its own that no one else can open (removed at once, gone
    /// when the matrix is): vectors read from elsewhere, to be scanned as a vector file is.
    public static func temporary(width: Int, element: VectorElement = .float32) throws -> VectorMatrix {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clip-vectors-\(UUID().uuidString)").path
        let matrix = try VectorMatrix(path: path, width: width, element: element)
        unlink(path)
        return matrix
    }

    deinit {
        mapping = nil
        close(descriptor)
    }

    private func fileSize() throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SearchError.io(path: path, reason: String(cString: strerror(errno)).lowercased()) }
        return Int(status.st_size)
    }

    private func readOrWriteHeader() throws {
        let size = try fileSize()
        if size == 0 {
            guard writable else { throw SearchError.invalidVectorFile(path: path, reason: "the file is empty") }
            var header = Self.magic
            for value in [UInt32(1), UInt32(width), element.code, 0, 0, 0] {
                withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) }
            }
            try write(header, at: 0)
            try synchronize()
            return
        }
        guard size >= Self.headerSize else { throw SearchError.invalidVectorFile(path: path, reason: "shorter than its header") }
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        guard pread(descriptor, &header, Self.headerSize, 0) == Self.headerSize else {
            throw SearchError.io(path: path, reason: "cannot read the header")
        }
        func field(_ index: Int) -> UInt32 {
            header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8 + 4 * index, as: UInt32.self)) }
        }
        guard Array(header.prefix(8)) == Self.magic else { throw SearchError.invalidVectorFile(path: path, reason: "no CLIPVEC1 header") }
        guard field(0) == 1 else { throw SearchError.invalidVectorFile(path: path, reason: "format version \(field(0)), expected 1") }
        guard Int(field(1)) == width, VectorElement(code: field(2)) == element else {
            let stored = VectorElement(code: field(2))?.rawValue ?? "element code \(field(2))"
            throw SearchError.invalidVectorFile(path: path, reason: "holds \(stored) vectors of width \(field(1)), not \(element.rawValue) of width \(width)")
        }
        count = (size - Self.headerSize) / rowBytes
        let whole = Self.headerSize + count * rowBytes
        if whole != size, writable {
            guard ftruncate(descriptor, off_t(whole)) == 0 else { throw SearchError.io(path: path, reason: String(cString: strerror(errno)).lowercased()) }
        }
    }

    private func write(_ bytes: [UInt8], at offset: Int) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, bytes.count - written, off_t(offset + written)) }
            guard result > 0 else { throw SearchError.io(path: path, reason: "cannot write: \(String(cString: strerror(errno)).lowercased())") }
            written += result
        }
    }

    private func synchronize() throws {
        guard fdatasync(descriptor) == 0 else { throw SearchError.io(path: path, reason: "cannot flush to disk: \(String(cString: strerror(errno)).lowercased())") }
    }

    /// Appends `vectors` (each `width` floats, stored as `element`) and returns their row numbers,
    /// once they are on disk.
    @discardableResult
    public func append(_ vectors: [[Float]]) throws -> Range<Int> {
        guard writable else { throw SearchError.io(path: path, reason: "opened read-only") }
        // Rows are stored in the host's byte order, little-endian on every platform Swift targets
        // here, and read back in place (`withRows`).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vectors.count * rowBytes)
        for vector in vectors {
            guard vector.count == width else { throw SearchError.widthMismatch(expected: width, actual: vector.count) }
            switch element {
            case .float32: vector.withUnsafeBytes { bytes.append(contentsOf: $0) }
            case .float16: vector.map(Float16.init).withUnsafeBytes { bytes.append(contentsOf: $0) }
            }
        }
        return try appendBytes(bytes, rows: vectors.count)
    }

    /// Appends `rows` of `source` (a file of the same width and element type), in the order given,
    /// and returns their new row numbers once they are on disk.
    @discardableResult
    public func append(rows: [Int], of source: VectorMatrix) throws -> Range<Int> {
        guard writable else { throw SearchError.io(path: path, reason: "opened read-only") }
        guard source.width == width, source.element == element else {
            throw SearchError.invalidVectorFile(path: source.path, reason: "holds \(source.element.rawValue) × \(source.width), not \(element.rawValue) × \(width)")
        }
        let start = count
        let blockRows = 8_192
        for block in stride(from: 0, to: rows.count, by: blockRows) {
            let part = rows[block..<min(block + blockRows, rows.count)]
            let bytes = try source.withRows { base -> [UInt8] in
                var bytes: [UInt8] = []
                bytes.reserveCapacity(part.count * rowBytes)
                for row in part {
                    guard row >= 0, row < source.count else { throw SearchError.invalidQuery("row \(row) is outside 0..<\(source.count)") }
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: base + row * rowBytes, count: rowBytes))
                }
                return bytes
            }
            try appendBytes(bytes, rows: part.count)
        }
        return start..<count
    }

    private func appendBytes(_ bytes: [UInt8], rows: Int) throws -> Range<Int> {
        try lock.withLock {
            let start = count
            try write(bytes, at: Self.headerSize + start * rowBytes)
            try synchronize()
            count += rows
            return start..<count
        }
    }

    /// Drops the rows from `newCount` on (rows no catalogue entry refers to). Not while a search
    /// of this file runs: reading a mapped page past the new end would fault.
    public func truncate(to newCount: Int) throws {
        guard writable else { throw SearchError.io(path: path, reason: "opened read-only") }
        try lock.withLock {
            guard newCount >= 0, newCount <= count else { throw SearchError.invalidQuery("cannot truncate \(count) rows to \(newCount)") }
            mapping = nil
            guard ftruncate(descriptor, off_t(Self.headerSize + newCount * rowBytes)) == 0 else {
                throw SearchError.io(path: path, reason: String(cString: strerror(errno)).lowercased())
            }
            try synchronize()
            count = newCount
        }
    }

    /// Row `index` as floats.
    public func row(_ index: Int) throws -> [Float] {
        guard index >= 0, index < count else { throw SearchError.invalidQuery("row \(index) is outside 0..<\(count)") }
        return try withRows { rows in
            let start = rows + index * rowBytes
            switch element {
            case .float32: return Array(UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: width))
            case .float16: return [Float](unsafeUninitializedCapacity: width) { buffer, initialized in
                Self.widen(start, count: width, into: buffer.baseAddress!)
                initialized = width
            }
            }
        }
    }

    /// Counts rows appended by another process since this file was opened (or last refreshed).
    public func refresh() throws {
        let size = try fileSize()
        lock.withLock { count = max(count, (size - Self.headerSize) / rowBytes) }
    }

    /// Calls `body` with the rows as mapped bytes: the first `limit` (by default all `count`) rows
    /// there were when it was called, each `rowBytes` long, little-endian `element`s. A reader maps
    /// only the rows its catalogue refers to, which a writer never cuts off.
    public func withRows<R>(limit: Int? = nil, _ body: (UnsafeRawPointer) throws -> R) throws -> R {
        let current: Mapping = try lock.withLock {
            let length = Self.headerSize + min(limit ?? count, count) * rowBytes
            if let mapping, mapping.length == length { return mapping }
            guard let pointer = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor, 0), pointer != MAP_FAILED else {
                throw SearchError.io(path: path, reason: "cannot map: \(String(cString: strerror(errno)).lowercased())")
            }
            let fresh = Mapping(base: UnsafeRawPointer(pointer), length: length)
            mapping = fresh
            return fresh
        }
        return try withExtendedLifetime(current) { try body(current.base + Self.headerSize) }
    }

    /// Widens `count` stored float16 values at `source` into `target`.
    static func widen(_ source: UnsafeRawPointer, count: Int, into target: UnsafeMutablePointer<Float>) {
        let halves = source.assumingMemoryBound(to: Float16.self)
        for i in 0..<count { target[i] = Float(halves[i]) }
    }
}
