#if canImport(CDNNL)
import CDNNL
#endif
import CGEMMKernels

/// What this CPU does for each precision, as oneDNN sees it (oneDNN honours `ONEDNN_MAX_CPU_ISA`,
/// so a lower instruction set can be forced to check the fallbacks).
public struct PrecisionHardware: Sendable, Equatable {
    /// oneDNN's effective instruction set (`dnnl_cpu_isa_t` bits); 0 where oneDNN is not linked.
    public let isa: UInt32

    /// The instruction-set bits that matter here (dnnl_types.h).
    enum ISABit {
        static let avx512Core: UInt32 = 0x27
        static let vnni: UInt32 = 0x40        // avx512_core_vnni
        static let avx512BF16: UInt32 = 0x80  // avx512_core_bf16
        static let amx: UInt32 = 0x3e7        // avx512_core_amx (AMX tiles, bf16 and int8)
        static let avx2VNNI: UInt32 = 0x400   // avx2_vnni
    }

    /// This CPU, read once.
    public static let current = PrecisionHardware(isa: effectiveISA())

    /// A CPU with the given oneDNN instruction-set bits (for tests).
    public init(isa: UInt32) { self.isa = isa }

    private static func effectiveISA() -> UInt32 {
        #if canImport(CDNNL)
        return UInt32(dnnl_get_effective_cpu_isa().rawValue)
        #else
        return 0
        #endif
    }

    /// Whether the CPU multiplies bf16 in hardware (AVX-512 BF16 or AMX).
    public var hasBF16: Bool { isa & ISABit.avx512BF16 != 0 }
    /// Whether the CPU has int8 dot-product instructions (AVX-512 VNNI or AVX-VNNI), which add
    /// u8·s8 products in 32 bits; without them oneDNN's int8 kernels add pairs in 16 bits and saturate.
    public var hasVNNI: Bool { isa & (ISABit.vnni | ISABit.avx2VNNI) != 0 }

    /// Whether products in `precision` run on instructions made for it (f32 always does).
    public func accelerates(_ precision: ComputePrecision) -> Bool {
        switch precision {
        case .f32: return true
        case .bf16: return hasBF16
        case .int8: return hasVNNI
        }
    }

    /// oneDNN's name for its effective instruction set, as `ONEDNN_MAX_CPU_ISA` spells them.
    public var isaName: String {
        switch isa {
        case 0: return "none (oneDNN not linked)"
        case ISABit.amx: return "AVX512_CORE_AMX"
        case 0xe7: return "AVX512_CORE_BF16"
        case 0x67: return "AVX512_CORE_VNNI"
        case ISABit.avx512Core: return "AVX512_CORE"
        case 0x407: return "AVX2_VNNI"
        case 0x7: return "AVX2"
        case 0x3: return "AVX"
        case 0x1: return "SSE41"
        default: return String(format: "0x%x", isa)
        }
    }

    /// How products in `precision` are computed here, for `clip doctor`.
    public var kernelDescription: [ComputePrecision: String] {
        var kernels: [ComputePrecision: String] = [.f32: "f32 GEMM (\(Diagnostics.gemmLibrary))"]
        kernels[.bf16] = hasBF16
            ? "oneDNN bf16 matmul (\(OneDNNMatmul.implementation(of: .bf16) ?? "unavailable"))"
            : "emulated: bf16-rounded inputs through the f32 GEMM (no AVX-512 BF16 or AMX)"
        kernels[.int8] = hasVNNI
            ? "oneDNN int8 matmul (\(OneDNNMatmul.implementation(of: .int8) ?? "unavailable"))"
            : "exact int8 kernel, \(String(cString: clip_gemm_s8s8s32_kernel())) 16-bit products (no VNNI: oneDNN's would saturate)"
        return kernels
    }
}
