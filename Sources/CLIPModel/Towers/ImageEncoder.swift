import CLIPNN
import CLIPTensor

/// An image tower: normalised pixels `[N, 3, S, S]` to features `[N, E]`.
public protocol ImageEncoder: Module {
    /// The side `S` of the square input.
    var imageSize: Int { get }
    func callAsFunction(_ images: Tensor) -> Tensor
}
