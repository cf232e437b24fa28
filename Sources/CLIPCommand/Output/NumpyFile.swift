import CLIPTensor
import Foundation

/// Writes arrays in NumPy's `.npy` format (version 1.0), atomically.
enum NumpyFile {
    enum Element {
        case float32([Float])
        case uint8([UInt8])

        var descriptor: String {
            switch self {
            case .float32: return "<f4"
            case .uint8: return "|u1"
            }
        }

        var count: Int {
            switch self {
            case let .float32(values): return values.count
            case let .uint8(values): return values.count
            }
        }
    }

    static func write(_ elements: Element, shape: [Int], to path: String) throws {
        precondition(shape.reduce(1, *) == elements.count, "npy shape \(shape) for \(elements.count) elements")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(elements.descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending "\n".
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: header.utf8)
        switch elements {
        case let .float32(values):
            values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        case let .uint8(values):
            data.append(contentsOf: values)
        }
        try AtomicFile.write(to: path) { try $0.write(contentsOf: data) }
    }
}
