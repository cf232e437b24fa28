/// How a vector file stores each feature.
public enum VectorElement: String, Sendable, CaseIterable, Codable {
    /// IEEE half precision: half the space, about three significant digits (cosine scores move by
    /// less than 1e-3).
    case float16 = "f16"
    /// Single precision, as the model computes.
    case float32 = "f32"

    /// Bytes per feature.
    public var byteSize: Int { self == .float16 ? 2 : 4 }

    /// The code stored in a vector file's header.
    var code: UInt32 { self == .float16 ? 2 : 1 }

    init?(code: UInt32) {
        switch code {
        case 1: self = .float32
        case 2: self = .float16
        default: return nil
        }
    }
}
