extension ImageIndex {
    /// When an update keeps an approximate-nearest-neighbour index of a model's vectors, and which.
    public enum GraphPolicy: String, Sendable, CaseIterable {
        /// An HNSW index once the model has `automaticGraphRows` vectors (exact scans stay below a few
        /// milliseconds under it).
        case auto
        /// An HNSW index, always.
        case hnsw
        /// pgvector's IVFFlat index (PostgreSQL store only): quicker to build than HNSW, less recall per query time.
        case ivfflat
        /// None: searches scan every vector; an existing index is dropped.
        case none
    }

    /// The vector count from which `.auto` builds a graph: an exact scan of 100,000 float16 vectors of
    /// width 512 took 5.8 ms on two cores (`make bench`), a graph search well under one.
    public static let automaticGraphRows = 100_000

    /// How an HNSW index is built, in both stores (pgvector's `m` and `ef_construction`).
    public struct HNSWParameters: Equatable, Sendable {
        /// Links per node on the upper levels (twice as many on the lowest).
        public var m: Int
        /// Candidates considered for each insertion.
        public var efConstruction: Int

        /// The parameters; the defaults reach recall@10 0.97 at `defaultSearchBreadth` on a million
        /// clustered vectors of width 512 (`make bench`).
        public init(m: Int = 32, efConstruction: Int = 80) {
            self.m = m
            self.efConstruction = efConstruction
        }

        /// pgvector's limits, which the embedded graph keeps too: m 2…100, ef_construction 4…1000 and ≥ 2m.
        func validate() throws {
            guard (2...100).contains(m) else { throw SearchError.invalidQuery("HNSW m must be 2…100, not \(m)") }
            guard (4...1000).contains(efConstruction), efConstruction >= 2 * m else {
                throw SearchError.invalidQuery("HNSW ef_construction must be 4…1000 and at least 2m (\(2 * m)), not \(efConstruction)")
            }
        }
    }
}
