import CLIPTensor

/// Token ids stored in a fixture as a float tensor `[N, L]` (safetensors fixtures hold them so),
/// back as rows of integers for the text towers.
public func tokenRows(_ tokens: Tensor) -> [[Int]] {
    (0..<tokens.shape[0]).map { row in (0..<tokens.shape[1]).map { Int(tokens[row, $0]) } }
}
