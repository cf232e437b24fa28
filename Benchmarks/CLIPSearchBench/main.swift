// clip-search-bench: times CLIPSearch's exact and HNSW search for Benchmarks/search.py, one JSON line
// per result. Vector files are CLIPVEC1 files (.f16 or .f32); queries and results are raw
// little-endian arrays (float32 [n, width] in, int32 [n, k] rows out).
//
//   clip-search-bench exact VECTORS QUERIES K RESULTS            one query at a time, as `clip search` runs them
//   clip-search-bench hnsw-build VECTORS GRAPH M EF_CONSTRUCTION build a graph over every row, save it
//   clip-search-bench hnsw VECTORS GRAPH QUERIES K EF RESULTS    one query at a time through the graph
//   clip-search-bench fill-index INDEX MODEL COUNT [f16|f32]     an index of COUNT made-up files with random
//                                                                unit vectors, for MODEL (end-to-end searches)
//   clip-search-bench fill-store LOCATION VECTORS [BATCH]        a folder or PostgreSQL store filled with the rows
//   clip-search-bench build-ann LOCATION KIND M EF_CONSTRUCTION  its HNSW or IVFFlat index built
//   clip-search-bench store-search LOCATION QUERIES K EF exact|ann RESULTS   queries through ImageIndex.search
import CLIPModel
import CLIPSearch
import CLIPTensor
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("clip-search-bench: \(message)\n".utf8))
    exit(2)
}

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func argument(_ index: Int) -> String {
    let arguments = CommandLine.arguments
    guard index < arguments.count else { fail("missing argument \(index)") }
    return arguments[index]
}

func positive(_ index: Int) -> Int {
    guard let value = Int(argument(index)), value > 0 else { fail("argument \(index) must be a positive integer") }
    return value
}

/// Opens a vector file, its width and element type read from the header.
func openVectors(_ path: String) -> VectorMatrix {
    guard let handle = FileHandle(forReadingAtPath: path), let header = try? handle.read(upToCount: 32), header.count == 32 else {
        fail("\(path): cannot read the header")
    }
    let width = Int(header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) })
    let element: VectorElement = path.hasSuffix(".f16") ? .float16 : .float32
    do { return try VectorMatrix(path: path, width: width, element: element, writable: false) } catch { fail("\(error)") }
}

func readQueries(_ path: String, width: Int) -> [[Float]] {
    guard let data = FileManager.default.contents(atPath: path), data.count % (4 * width) == 0 else { fail("\(path): not float32 rows of \(width)") }
    let floats = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return stride(from: 0, to: floats.count, by: width).map { Array(floats[$0..<($0 + width)]) }
}

func writeResults(_ rows: [[Int]], k: Int, to path: String) {
    var values: [Int32] = []
    for hits in rows { values += (0..<k).map { $0 < hits.count ? Int32(hits[$0]) : -1 } }
    FileManager.default.createFile(atPath: path, contents: values.withUnsafeBytes { Data($0) })
}

/// Runs `search` once per query (each once untimed first, to fault the pages in), returning the
/// rows found and the timing fields.
func timeQueries(_ queries: [[Float]], _ search: ([Float]) throws -> [SearchHit]) rethrows -> ([[Int]], [String: Any]) {
    for query in queries.prefix(20) { _ = try search(query) }
    var latencies: [Double] = []
    var rows: [[Int]] = []
    let start = Date()
    for query in queries {
        let begin = DispatchTime.now().uptimeNanoseconds
        rows.append(try search(query).map(\.row))
        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
    }
    let total = Date().timeIntervalSince(start)
    latencies.sort()
    return (rows, ["queries_per_s": Double(queries.count) / total, "ms_median": latencies[latencies.count / 2],
                   "ms_p99": latencies[min(latencies.count - 1, latencies.count * 99 / 100)]])
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

switch CommandLine.arguments.dropFirst().first {
case "exact":
    let matrix = openVectors(argument(2))
    let queries = readQueries(argument(3), width: matrix.width)
    let k = positive(4)
    let (rows, timing) = try timeQueries(queries) { try ExactSearch.top(k, in: matrix, query: $0) }
    writeResults(rows, k: k, to: argument(5))
    emit(timing.merging(["search": "exact", "element": matrix.element.rawValue, "rows": matrix.count]) { $1 })
case "hnsw-build":
    let matrix = openVectors(argument(2))
    let graph = HNSWGraph(m: positive(4), efConstruction: positive(5))
    let start = Date()
    try graph.extend(with: matrix)
    let seconds = Date().timeIntervalSince(start)
    let data = graph.serialized()
    guard FileManager.default.createFile(atPath: argument(3), contents: data) else {
        fatalError("cannot write \(argument(3))")
    }
    emit(["search": "hnsw-build", "element": matrix.element.rawValue, "rows": matrix.count, "seconds": seconds,
          "graph_mib": Double(data.count) / 1_048_576, "peak_rss_mib": peakResidentMiB()])
case "hnsw":
    let matrix = openVectors(argument(2))
    guard let data = FileManager.default.contents(atPath: argument(3)) else { fail("\(argument(3)): cannot read") }
    let graph = try HNSWGraph.read(data, rows: matrix.count)
    let queries = readQueries(argument(4), width: matrix.width)
    let (k, ef) = (positive(5), positive(6))
    let (rows, timing) = try timeQueries(queries) { Array(try graph.search($0, in: matrix, ef: ef).prefix(k)) }
    writeResults(rows, k: k, to: argument(7))
    emit(timing.merging(["search": "hnsw", "element": matrix.element.rawValue, "rows": matrix.count, "ef": ef]) { $1 })
case "fill-index":
    let index = try EmbeddedIndexStore(directory: URL(fileURLWithPath: argument(2)))
    let loaded = try CLIPLoader.load(path: argument(3))
    let count = positive(4)
    let element = VectorElement(rawValue: CommandLine.arguments.count > 5 ? argument(5) : "f16") ?? .float16
    let model = try index.catalogue.model(reference: URL(fileURLWithPath: argument(3)).standardizedFileURL.path,
                                          fingerprint: ImageIndex(store: index).fingerprint(of: loaded), width: loaded.model.configuration.embedDim, element: element)
    let matrix = try VectorMatrix(path: index.vectorFile(of: model).path, width: model.width, element: element)
    var generator = RandomGenerator(seed: 7)
    for start in stride(from: matrix.count, to: count, by: 10_000) {
        let block = (start..<min(start + 10_000, count)).map { _ -> [Float] in
            let vector = (0..<model.width).map { _ in generator.nextNormal() }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return vector.map { $0 / norm }
        }
        let rows = try matrix.append(block)
        let files = rows.map { IndexFile(path: "/bench/photos/\($0 / 1_000)/img_\($0).jpg", size: 100_000, modified: 1,
                                                   contentHash: "content-\($0)") }
        try index.catalogue.commit(model: model, vectors: rows.map { ("content-\($0)", $0) }, files: files, removing: [])
    }
    emit(["index": index.directory.path, "files": try index.catalogue.files().count])
case "fill-store":
    try fillStore(location: argument(2), vectors: argument(3), batch: CommandLine.arguments.count > 4 ? positive(4) : 2_000)
case "build-ann":
    try buildANN(location: argument(2), kind: argument(3), m: positive(4), efConstruction: positive(5))
case "store-search":
    try storeSearch(location: argument(2), queries: argument(3), k: positive(4), ef: positive(5), exact: argument(6) == "exact",
                    results: argument(7))
default:
    fail("usage: clip-search-bench exact|hnsw-build|hnsw|fill-index|fill-store|build-ann|store-search … (see the comment at the top of main.swift)")
}
