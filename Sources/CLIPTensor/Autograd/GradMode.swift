/// Whether ops record the graph that `backward()` walks.
///
/// Recording is on by default. Inference runs inside `withNoGrad { … }`, which records nothing and
/// keeps no intermediate tensors alive. The setting is task-local, so concurrent requests do not
/// affect each other.
public enum GradMode {
    @TaskLocal static var isEnabled = true

    /// Whether ops currently record gradients.
    public static var isRecording: Bool { isEnabled }
}

/// Runs `body` without recording any gradient graph.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` without recording any gradient graph (async variant).
public func withNoGrad<R: Sendable>(_ body: () async throws -> R) async rethrows -> R {
    try await GradMode.$isEnabled.withValue(false, operation: body)
}
