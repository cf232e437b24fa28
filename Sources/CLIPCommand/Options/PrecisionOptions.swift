import ArgumentParser
import CLIPModel
import CLIPTensor

extension PrecisionRequest: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { names }
}

/// `--precision`, shared by every command that runs a model.
struct PrecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The precision of the model's matrix products: f32, bf16, int8 or auto (default $CLIP_PRECISION, else f32).",
        discussion: """
        f32 keeps the reference's numbers. bf16 and int8 run several times faster on CPUs that multiply them in \
        hardware (AVX-512 BF16, VNNI, AMX; see `clip doctor`), with embeddings within cosine 0.999 (bf16) and 0.99 \
        (int8) of f32. auto picks the fastest precision this CPU accelerates.
        """, valueName: "p"))
    var precision: PrecisionRequest?

    /// The precision asked for here or in `CLIP_PRECISION`, resolved for this CPU.
    func resolved() throws -> ComputePrecision {
        let request: PrecisionRequest
        do {
            request = try precision ?? PrecisionRequest.fromEnvironment() ?? .fixed(.f32)
        } catch let error as TensorError {
            throw ValidationError(error.description)
        }
        return request.resolved()
    }

    /// Sets `model` to compute in the resolved precision, with a note on standard error where this CPU
    /// only emulates it.
    func apply(to model: CLIP) throws {
        let chosen = try resolved()
        if !PrecisionHardware.current.accelerates(chosen) {
            let missing = chosen == .bf16 ? "AVX-512 BF16 or AMX" : "VNNI or AMX"
            StandardStreams.printDiagnostic("clip: note: this CPU has no \(missing), so \(chosen.rawValue) products run on slower fallback kernels (see `clip doctor`)")
        }
        guard chosen != model.computePrecision else { return }
        model.setComputePrecision(chosen)
    }
}
