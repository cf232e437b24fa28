import CZlib
import Foundation

/// The graph file: a 40-byte header (magic `CLIPHNSW`, then little-endian: format version 1, m,
/// efConstruction, maxLevel as UInt32/Int32, count as UInt64, entry as Int64), each node's top level
/// (a byte each), each node's level-0 link count (a byte each), the level-0 links (`count · 2m`
/// Int32, unused slots -1), then for every node above level 0, in row order, each of its levels as
/// a link count byte and `m` Int32 slots; last, the CRC-32 of everything before it. A file that is
/// damaged, cut short, or covers rows the vector file lacks is refused with the reason, and the
/// index builds the graph again.
extension HNSWGraph {
    static let magic = Array("CLIPHNSW".utf8)
    static let headerSize = 40

    /// Why a graph file cannot be used.
    public struct FileError: Error, CustomStringConvertible {
        /// What is wrong with it.
        public let reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// The graph as its file's bytes.
    public func serialized() -> Data {
        var data = Data(Self.magic)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        append(UInt32(1))
        append(UInt32(m))
        append(UInt32(efConstruction))
        append(Int32(maxLevel))
        append(UInt64(count))
        append(Int64(entry))
        data.append(contentsOf: levels)
        data.append(contentsOf: level0Counts)
        level0.withUnsafeBytes { data.append(contentsOf: $0) }
        for node in 0..<count where levels[node] > 0 {
            for links in upper[Int32(node)]! {
                data.append(UInt8(links.count))
                let slots = links + Array(repeating: -1, count: m - links.count)
                slots.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        append(Self.checksum(data))
        return data
    }

    /// The CRC-32 that ends a graph file, of the bytes before it.
    public static func checksum(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { bytes in
            var crc: uLong = crc32(0, nil, 0)
            var offset = 0
            // zlib takes lengths as 32-bit unsigned: feed it in blocks.
            while offset < bytes.count {
                let length = min(bytes.count - offset, 1 << 30)
                crc = crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(length))
                offset += length
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    /// A graph read back from `data`, for a vector file of `rows` rows; throws `FileError`.
    public static func read(_ data: Data, rows: Int) throws -> HNSWGraph {
        guard data.count >= headerSize + 4, Array(data.prefix(8)) == magic else { throw FileError(reason: "not a CLIPHNSW graph file") }
        let stored = data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: data.count - 4, as: UInt32.self)) }
        guard checksum(data.prefix(data.count - 4)) == stored else { throw FileError(reason: "its checksum does not match: the file is damaged") }
        return try data.withUnsafeBytes { bytes throws -> HNSWGraph in
            func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)) }
            guard load(UInt32.self, at: 8) == 1 else { throw FileError(reason: "format version \(load(UInt32.self, at: 8)), expected 1") }
            let m = Int(load(UInt32.self, at: 12)), efConstruction = Int(load(UInt32.self, at: 16)), maxLevel = Int(load(Int32.self, at: 20))
            let count64 = load(UInt64.self, at: 24), entry = load(Int64.self, at: 32)
            guard (2...128).contains(m), (1...65_536).contains(efConstruction), (-1...levelLimit).contains(maxLevel) else {
                throw FileError(reason: "settings out of range (m \(m), efConstruction \(efConstruction), levels \(maxLevel))")
            }
            guard count64 <= UInt64(rows) else { throw FileError(reason: "covers \(count64) rows; the vector file has \(rows)") }
            let count = Int(count64), m0 = 2 * m
            guard (count == 0 && entry == -1 && maxLevel == -1) || (entry >= 0 && entry < count64) else {
                throw FileError(reason: "its entry node \(entry) is not one of its \(count) nodes")
            }
            var offset = headerSize
            let body = data.count - 4
            guard body - offset >= count * (2 + 4 * m0) else { throw FileError(reason: "cut short") }
            let levels = Array(bytes[offset..<(offset + count)])
            offset += count
            let level0Counts = Array(bytes[offset..<(offset + count)])
            offset += count
            var level0 = [Int32](repeating: -1, count: count * m0)
            level0.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count * m0 * 4)])) }
            offset += count * m0 * 4
            for index in level0.indices { level0[index] = Int32(littleEndian: level0[index]) }
            for node in 0..<count {
                guard Int(levels[node]) <= max(maxLevel, 0), Int(level0Counts[node]) <= m0 else {
                    throw FileError(reason: "node \(node) has level \(levels[node]) or \(level0Counts[node]) links, beyond the limits")
                }
                for slot in 0..<Int(level0Counts[node]) where !(0..<Int32(count)).contains(level0[node * m0 + slot]) {
                    throw FileError(reason: "node \(node) links to \(level0[node * m0 + slot]), not a node")
                }
            }
            if count > 0, Int(levels[Int(entry)]) != maxLevel { throw FileError(reason: "its entry node is not on its top level") }
            var upper: [Int32: [[Int32]]] = [:]
            for node in 0..<count where levels[node] > 0 {
                var lists: [[Int32]] = []
                for _ in 0..<Int(levels[node]) {
                    guard body - offset >= 1 + 4 * m else { throw FileError(reason: "cut short") }
                    let linkCount = Int(bytes[offset])
                    guard linkCount <= m else { throw FileError(reason: "node \(node) has \(linkCount) links on an upper level, beyond \(m)") }
                    var links: [Int32] = []
                    for slot in 0..<linkCount {
                        let link = load(Int32.self, at: offset + 1 + 4 * slot)
                        guard (0..<Int32(count)).contains(link), Int(levels[Int(link)]) >= lists.count + 1 else {
                            throw FileError(reason: "node \(node) links to \(link) on level \(lists.count + 1), where it is not")
                        }
                        links.append(link)
                    }
                    lists.append(links)
                    offset += 1 + 4 * m
                }
                upper[Int32(node)] = lists
            }
            guard offset == body else { throw FileError(reason: "\(body - offset) bytes left over after its last node") }
            return HNSWGraph(m: m, efConstruction: efConstruction, count: count, entry: Int32(entry), maxLevel: maxLevel, levels: levels,
                             level0: level0, level0Counts: level0Counts, upper: upper, seed: 20261202)
        }
    }
}
