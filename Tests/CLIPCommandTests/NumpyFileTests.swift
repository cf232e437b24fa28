@testable import CLIPCommand
import CLIPTestSupport
import Foundation
import Testing

@Suite("npy output")
struct NumpyFileTests {
    @Test("float32 arrays are written in NumPy's version 1.0 layout")
    func float32Layout() throws {
        let path = temporaryPath("t.npy").path
        try NumpyFile.write(.float32([1, -2.5, 3, 0.25, 5, 6]), shape: [2, 3], to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(data.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(header.hasSuffix("\n"))
        let values = data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values == [1, -2.5, 3, 0.25, 5, 6])
    }

    @Test("uint8 arrays and one-dimensional shapes")
    func uint8Layout() throws {
        let path = temporaryPath("u.npy").path
        try NumpyFile.write(.uint8([7, 8, 9]), shape: [3], to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect(String(decoding: data[10..<(10 + headerLength)], as: UTF8.self).contains("'descr': '|u1', 'fortran_order': False, 'shape': (3,)"))
        #expect(Array(data.suffix(3)) == [7, 8, 9])
    }

    @Test("preprocess refuses bad options")
    func preprocessValidation() {
        #expect(throws: (any Error).self) { try CLIPCommand.parseAsRoot(["preprocess", "x.png", "-o", "out.txt"]) }
        #expect(throws: (any Error).self) { try CLIPCommand.parseAsRoot(["preprocess", "--std", "1,0,1", "x.png", "-o", "o.npy"]) }
        #expect(throws: (any Error).self) { try CLIPCommand.parseAsRoot(["tokenize", "--context-length", "1", "hi"]) }
    }
}
