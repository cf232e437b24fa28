// An HNSW graph file as found beside a vector file of 64 rows of width 4: read as it is (the
// checksum guards it), then again with its checksum made right, so that the structural checks
// behind it are reached; a graph that reads back is searched and extended.
import CLIPSearch
import FuzzSupport
import Foundation

let rows = 64
let matrix: VectorMatrix = {
    let path = FuzzInput.file(Data(), named: "vectors.f32")
    try? FileManager.default.removeItem(atPath: path)
    let matrix = try! VectorMatrix(path: path, width: 4, element: .float32)
    try! matrix.append((0..<rows).map { row in (0..<4).map { Float(($0 + 1) * (row % 7) - 3) / 8 } })
    return matrix
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    var fixed = data
    var checksum = HNSWGraph.checksum(data).littleEndian
    withUnsafeBytes(of: &checksum) { fixed.append(contentsOf: $0) }
    for bytes in [data, fixed] {
        guard let graph = try? HNSWGraph.read(bytes, rows: rows) else { continue }
        _ = try? graph.search([0.5, 0.5, 0.5, 0.5], in: matrix, ef: 8)
        try? graph.extend(with: matrix)
        _ = try? graph.search([1, 0, 0, 0], in: matrix, ef: 4)
    }
    return 0
}
