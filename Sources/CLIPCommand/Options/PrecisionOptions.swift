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
        "The precision of the model's matrix products: f32, bf16, int8 or auto (default $CLIP_PRECISION, else f32; int8 for an int8 checkpoint).",
        discussion: """
        f32 keeps the reference's numbers. bf16 and int8 run several times faster on CPUs that multiply them in \
        hardware (AVX-512 BF16, VNNI, AMX; see `clip doctor`), with embeddings within cosine 0.999 (bf16) and 0.99 \
        (int8) of f32. auto picks the fastest precision this CPU accelerates.
        """, valueName: "p"))
    var precision: PrecisionRequest?

    /// The precision asked for here or in `CLIP_PRECISION`, resolved for this CPU; nil when neither asks.
    func requested() throws -> ComputePrecision? {
        do {
            return try (precision ?? PrecisionRequest.fromEnvironment())?.resolved()
        } catch let error as TensorError {
            throw ValidationError(error.description)
        }
    }

    /// Sets `model` to compute in the precision asked for (else it keeps its own: f32, or int8 for a
    /// checkpoint stored in int8), with a note on standard error where this CPU only emulates it.
    func apply(to model: CLIP) throws {
        let chosen = try requested() ?? model.computePrecision
        if !PrecisionHardware.current.accelerates(chosen) {
            let missing = chosen == .bf16 ? "AVX-512 BF16 or AMX" : "VNNI or AMX"
            StandardStreams.printDiagnostic("clip: note: this CPU has no \(missing), so \(chosen.rawValue) products run on slower fallback kernels (see `clip doctor`)")
        }
        guard chosen != model.computePrecision else { return }
        model.setComputePrecision(chosen)
    }
}
