/// The element types of the safetensors format.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case uint8 = "U8", int8 = "I8"
    case float8E4M3 = "F8_E4M3", float8E5M2 = "F8_E5M2"
    case int16 = "I16", uint16 = "U16", float16 = "F16", bfloat16 = "BF16"
    case int32 = "I32", uint32 = "U32", float32 = "F32"
    case int64 = "I64", uint64 = "U64", float64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E4M3, .float8E5M2: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }
}

/// Conversions between Float32 and the 16-bit float formats.
enum HalfPrecision {
    /// IEEE binary16 bits to Float.
    @inline(__always) static func float(fromHalf bits: UInt16) -> Float {
        #if !(os(macOS) && arch(x86_64))
        return Float(Float16(bitPattern: bits))
        #else
        return portableFloat(fromHalf: bits)
        #endif
    }

    /// Float to IEEE binary16 bits, rounding to nearest even.
    @inline(__always) static func half(from value: Float) -> UInt16 {
        #if !(os(macOS) && arch(x86_64))
        return Float16(value).bitPattern
        #else
        return portableHalf(from: value)
        #endif
    }

    /// bfloat16 bits to Float (exact).
    @inline(__always) static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    static func portableFloat(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        var exponent = Int32((bits >> 10) & 0x1F)
        var mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            while mantissa & 0x400 == 0 { mantissa <<= 1; exponent -= 1 }
            exponent += 1
            mantissa &= 0x3FF
        }
        return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
    }

    static func portableHalf(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int32((bits >> 23) & 0xFF) - 127 + 15
        let mantissa = bits & 0x7F_FFFF
        if value.isNaN { return sign | 0x7E00 }
        if exponent >= 0x1F { return sign | 0x7C00 }
        if exponent <= 0 {
            if exponent < -10 { return sign }
            let full = mantissa | 0x80_0000
            let shift = UInt32(14 - exponent)
            var half = full >> shift
            let remainder = full & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(exponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
}
