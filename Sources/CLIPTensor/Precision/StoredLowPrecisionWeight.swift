import Foundation

/// A weight that a checkpoint stores in bf16, or in int8 with per-row scales (as
/// `clip convert --dtype int8` writes it), read without converting it.
///
/// `tensor` is the f32 weight the model holds, in the stored shape; its values are computed from the
/// stored ones only if something reads them (`Tensor.deferred`). `lowPrecision` is the stored weight
/// itself, `[rows, rest]`, borrowed from the file's mapped pages: products in its precision use it as
/// it is, so a bf16 model computing in bf16 (or an int8 one in int8) never holds an f32 copy.
public struct StoredLowPrecisionWeight: @unchecked Sendable {
    /// The weight as f32, computed on first read.
    public let tensor: Tensor
    /// The stored values, for products in their precision.
    public let lowPrecision: LowPrecisionWeight

    /// The name of the tensor holding the per-row scales of the int8 weight `name`.
    public static func scaleName(of name: String) -> String { name + "_scale" }

    /// Whether `name` is the scale tensor of an int8 weight in `file`.
    public static func isScale(_ name: String, in file: SafeTensorsFile) -> Bool {
        guard name.hasSuffix("_scale") else { return false }
        return file.entries[String(name.dropLast("_scale".count))]?.dtype == .int8
    }
}

extension SafeTensorsFile {
    /// `name` as a stored low-precision weight: a BF16 tensor of rank 2 or more, or an I8 tensor with
    /// its F32 scales (one per row) in `name_scale`. Nil for any other tensor.
    ///
    /// - Throws: `TensorError.invalidTensorEntry` for an I8 tensor whose scales are missing, of the
    ///   wrong type or shape, negative or not finite.
    public func storedLowPrecisionWeight(_ name: String) throws -> StoredLowPrecisionWeight? {
        let entry = try entry(name)
        guard entry.shape.count >= 2, let rows = entry.shape.first else {
            if entry.dtype == .int8 {
                throw TensorError.invalidTensorEntry(path: path, tensor: name, reason: "an int8 weight must have rank 2 or more")
            }
            return nil
        }
        let depth = entry.shape.dropFirst().reduce(1, *)
        switch entry.dtype {
        case .bfloat16: return try storedBFloat16(entry, rows: rows, depth: depth)
        case .int8: return try storedInt8(entry, rows: rows, depth: depth)
        default: return nil
        }
    }

    private func storedBFloat16(_ entry: Entry, rows: Int, depth: Int) throws -> StoredLowPrecisionWeight? {
        let bytes = try rawBytes(entry.name)
        guard let base = bytes.baseAddress, Int(bitPattern: base) % 2 == 0 else { return nil }
        return stored(base, shape: entry.shape, precision: .bf16, scales: [], rows: rows, depth: depth)
    }

    private func storedInt8(_ entry: Entry, rows: Int, depth: Int) throws -> StoredLowPrecisionWeight {
        let scaleName = StoredLowPrecisionWeight.scaleName(of: entry.name)
        func invalid(_ reason: String) -> TensorError { .invalidTensorEntry(path: path, tensor: entry.name, reason: reason) }
        guard let scaleEntry = entries[scaleName] else { throw invalid("an int8 weight needs its per-row scales in '\(scaleName)'") }
        guard scaleEntry.dtype == .float32, scaleEntry.shape == [rows] else {
            throw invalid("'\(scaleName)' must be F32 of shape [\(rows)], not \(scaleEntry.dtype.rawValue) \(scaleEntry.shape)")
        }
        let scales = try tensor(scaleName).scalars
        guard scales.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw invalid("'\(scaleName)' holds a negative or non-finite scale") }
        let bytes = try rawBytes(entry.name)
        guard let base = bytes.baseAddress, rows * depth > 0 else { throw invalid("an int8 weight must not be empty") }
        return stored(base, shape: entry.shape, precision: .int8, scales: scales, rows: rows, depth: depth)
    }

    /// The stored values at `base` borrowed as a low-precision weight, standing for a deferred f32
    /// tensor of `shape` that widens them when read.
    private func stored(_ base: UnsafeRawPointer, shape: [Int], precision: ComputePrecision, scales: [Float],
                        rows: Int, depth: Int) -> StoredLowPrecisionWeight {
        let values = UncheckedSendable(base)
        let tensor = Tensor.deferred(shape) { [self] target in
            withExtendedLifetime(self) {
                LowPrecisionWeight.widen(values.value, precision: precision, scales: scales, rows: rows, depth: depth, into: target)
            }
        }
        let weight = LowPrecisionWeight(borrowing: base, precision: precision, scales: scales,
                                        standingFor: tensor.reshaped([rows, depth]), owner: self)
        return StoredLowPrecisionWeight(tensor: tensor, lowPrecision: weight)
    }
}
