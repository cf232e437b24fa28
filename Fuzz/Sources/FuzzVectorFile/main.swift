// An index's vector file as found on disk (damaged, cut short, of another width or type): opened for
// reading and for writing, every row read, scanned by exact search, appended to and cut back. The
// first input byte picks the width and element type the catalogue would expect.
import CLIPSearch
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    guard let choice = data.first else { return 0 }
    let width = [1, 3, 8, 512][Int(choice & 3)]
    let element: VectorElement = choice & 4 == 0 ? .float32 : .float16
    let path = FuzzInput.file(data.dropFirst(), named: "vectors.f")
    if let reader = try? VectorMatrix(path: path, width: width, element: element, writable: false) {
        for row in 0..<min(reader.count, 16) { _ = try? reader.row(row) }
        _ = try? ExactSearch.top(3, in: reader, query: [Float](repeating: 1 / Float(width).squareRoot(), count: width))
    }
    if let writer = try? VectorMatrix(path: path, width: width, element: element) {
        _ = try? writer.append([[Float](repeating: 0.5, count: width)])
        _ = try? writer.truncate(to: writer.count / 2)
        _ = try? ExactSearch.top(2, in: writer, query: [Float](repeating: 0, count: width), threshold: 0.5)
    }
    return 0
}
