import Foundation

/// The number format of a model's matrix products.
///
/// `f32` keeps the reference's numbers. `bf16` rounds weights and activations to bfloat16 and
/// accumulates in f32; `int8` quantises weights per output channel and activations per row (token)
/// and accumulates in int32. LayerNorm, softmax, attention's own products, residual sums and the
/// final projections stay in f32 in every precision.
public enum ComputePrecision: String, CaseIterable, Sendable, Codable {
    case f32, bf16, int8
}

/// A precision as a user names it (`--precision`, `CLIP_PRECISION`): one of `ComputePrecision`, or
/// `auto` for the fastest that this CPU accelerates.
public enum PrecisionRequest: Equatable, Sendable, CustomStringConvertible {
    case fixed(ComputePrecision)
    case auto

    /// The names accepted, for help and error messages.
    public static let names = ComputePrecision.allCases.map(\.rawValue) + ["auto"]

    /// Parses `f32`, `bf16`, `int8` or `auto` (case-insensitive); nil for anything else.
    public init?(_ text: String) {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        if name == "auto" {
            self = .auto
        } else if let precision = ComputePrecision(rawValue: name) {
            self = .fixed(precision)
        } else {
            return nil
        }
    }

    /// `CLIP_PRECISION` from the environment; nil where unset or empty.
    /// - Throws: `TensorError.invalidArgument` naming the variable when its value is not a precision.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PrecisionRequest? {
        guard let text = environment["CLIP_PRECISION"], !text.isEmpty else { return nil }
        guard let request = PrecisionRequest(text) else {
            throw TensorError.invalidArgument(reason: "CLIP_PRECISION=\"\(text)\" is not one of \(names.joined(separator: ", "))")
        }
        return request
    }

    /// The name as `--precision` takes it.
    public var description: String {
        switch self {
        case .fixed(let precision): return precision.rawValue
        case .auto: return "auto"
        }
    }

    /// The precision to compute in on this CPU. `auto` takes int8 where the CPU multiplies int8 in
    /// hardware (VNNI, AMX), else bf16 where it multiplies bf16 (AVX-512 BF16, AMX), else f32: both
    /// lower precisions meet swift-clip's accuracy bounds (cosine to f32 ≥ 0.99 for int8, ≥ 0.999 for
    /// bf16), and int8 products run at twice bf16's rate on the same units.
    public func resolved(on hardware: PrecisionHardware = .current) -> ComputePrecision {
        switch self {
        case .fixed(let precision): return precision
        case .auto:
            if hardware.accelerates(.int8) { return .int8 }
            if hardware.accelerates(.bf16) { return .bf16 }
            return .f32
        }
    }
}
