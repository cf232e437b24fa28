import CLIPSearch
import Foundation

/// `fill-store LOCATION VECTORS [BATCH]`: the rows of a CLIPVEC1 file committed to the index at
/// LOCATION (a folder or a postgresql:// URL) as made-up files `/bench/photos/N/img_I.jpg` of
/// content `content-I`, BATCH rows per step (default 2,000), as `clip index` commits them.
func fillStore(location: String, vectors path: String, batch: Int) throws {
    let matrix = openVectors(path)
    let index = try ImageIndex.open(location: location)
    let model = try index.store.model(reference: "bench", fingerprint: "bench-\(matrix.width)", width: matrix.width, element: matrix.element)
    let start = Date()
    try index.store.writing {
        try index.store.prepareForWriting(model)
        for first in stride(from: 0, to: matrix.count, by: batch) {
            let rows = first..<min(first + batch, matrix.count)
            let vectors = try rows.map { ("content-\($0)", try matrix.row($0)) }
            let files = rows.map { IndexFile(path: benchPath($0), size: 100_000, modified: 1, contentHash: "content-\($0)") }
            try index.store.commit(model: model, vectors: vectors, files: files, removing: [])
        }
    }
    let seconds = Date().timeIntervalSince(start)
    emit(["store": location.hasPrefix("postgres") ? "postgresql" : "folder", "rows": matrix.count, "seconds": seconds,
          "rows_per_s": Double(matrix.count) / seconds, "peak_rss_mib": peakResidentMiB()])
}

/// `build-ann LOCATION hnsw|ivfflat M EF_CONSTRUCTION`: the store's approximate-search index of
/// the bench model, built (or extended) as an update finishes.
func buildANN(location: String, kind: String, m: Int, efConstruction: Int) throws {
    let index = try ImageIndex.open(location: location)
    guard let model = try index.models().first, let policy = ImageIndex.GraphPolicy(rawValue: kind) else { fail("no bench model, or no index kind \(kind)") }
    var options = ImageIndex.UpdateOptions(reference: "bench")
    options.graph = policy
    options.hnsw = ImageIndex.HNSWParameters(m: m, efConstruction: efConstruction)
    options.compactAbove = nil
    let start = Date()
    let made = try index.store.writing {
        try index.store.prepareForWriting(model)
        return try index.store.finishUpdate(model, options: options).graph
    }
    emit(["store": location.hasPrefix("postgres") ? "postgresql" : "folder", "ann": kind, "built": made,
          "seconds": Date().timeIntervalSince(start), "peak_rss_mib": peakResidentMiB()])
}

/// `store-search LOCATION QUERIES K EF exact|ann RESULTS`: queries one at a time through
/// `ImageIndex.search`, as `clip search` and the server run them; results are the I of the files found.
func storeSearch(location: String, queries path: String, k: Int, ef: Int, exact: Bool, results: String) throws {
    let index = try ImageIndex.open(location: location)
    guard let model = try index.models().first else { fail("no bench model") }
    let queries = readQueries(path, width: model.width)
    let (rows, timing) = try timeQueries(queries) { query in
        try index.search(query, in: model, top: k, exact: exact, ef: ef).map { SearchHit(row: benchNumber($0.path), score: $0.score) }
    }
    writeResults(rows, k: k, to: results)
    emit(timing.merging(["store": location.hasPrefix("postgres") ? "postgresql" : "folder", "search": exact ? "exact" : "ann",
                         "ef": ef, "rows": try index.fileCounts().files]) { $1 })
}

func benchPath(_ number: Int) -> String {
    "/bench/photos/\(number / 1_000)/img_\(number).jpg"
}

func benchNumber(_ path: String) -> Int {
    Int(path.split(separator: "_").last?.dropLast(4) ?? "") ?? -1
}
