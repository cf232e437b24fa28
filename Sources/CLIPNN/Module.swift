import CLIPTensor

/// A named, trainable tensor slot in a `Module`.
///
/// ```swift
/// final class Scale: Module {
///     @Parameter var weight: Tensor
///     @Parameter var inProjectionBias: Tensor   // initialised with Parameter(wrappedValue:key:)
/// }
/// ```
@propertyWrapper
public final class Parameter: @unchecked Sendable {
    public var wrappedValue: Tensor
    /// The state-dict name when it differs from the Swift property name.
    public let key: String?
    /// Buffers (BatchNorm running statistics) load and save like parameters but are never trained.
    public let isTrainable: Bool

    public init(wrappedValue: Tensor, key: String? = nil, trainable: Bool = true) {
        self.wrappedValue = wrappedValue
        self.key = key
        self.isTrainable = trainable
    }
}

/// The base of every layer and model: discovers its parameters and child modules by reflection,
/// named as in the reference state dict (`visual.transformer.resblocks.3.attn.in_proj_weight`), and
/// replaces them strictly.
open class Module {
    public init() {}

    /// State-dict names for child modules whose Swift names differ (for example `["conv": "0"]`);
    /// an empty name merges the child's parameters into this module's level.
    open class var childKeys: [String: String] { [:] }

    /// Every parameter and buffer with its full state-dict name, in declaration order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        members(prefix: prefix).flatMap { member -> [(name: String, parameter: Parameter)] in
            switch member {
            case let .parameter(name, parameter): return [(name, parameter)]
            case let .module(childPrefix, module): return module.namedParameters(prefix: childPrefix)
            }
        }
    }

    /// This module and every module below it, each with its state-dict name prefix without the
    /// final dot ("" for the root, `visual.transformer.resblocks.0.attn` for an attention layer).
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        [(String(prefix.dropLast()), self)] + members(prefix: prefix).flatMap { member -> [(name: String, module: Module)] in
            if case let .module(childPrefix, module) = member { return module.namedModules(prefix: childPrefix) }
            return []
        }
    }

    private enum Member {
        case parameter(String, Parameter)
        /// A child module with the prefix of its names (ending in "." unless merged into this level).
        case module(String, Module)
    }

    /// This module's own parameters and direct children, found by reflection, in declaration order.
    private func members(prefix: String) -> [Member] {
        var result: [Member] = []
        for child in Mirror(reflecting: self).allChildren {
            guard let label = child.label else { continue }
            let swiftName = label.hasPrefix("_") ? String(label.dropFirst()) : label
            switch child.value {
            case let parameter as Parameter:
                result.append(.parameter(prefix + (parameter.key ?? swiftName), parameter))
            case let module as Module:
                result.append(.module(childPrefix(prefix, swiftName), module))
            case let modules as [Module]:
                let key = Self.childKeys[swiftName] ?? swiftName
                for (index, module) in modules.enumerated() { result.append(.module(prefix + "\(key).\(index).", module)) }
            default:
                if let optional = child.value as? OptionalModule, let module = optional.module {
                    result.append(.module(childPrefix(prefix, swiftName), module))
                }
            }
        }
        return result
    }

    /// The name prefix of a child; an empty key in `childKeys` puts the child's parameters at this
    /// module's level (open_clip keeps the text tower's keys at the top of the state dict).
    private func childPrefix(_ prefix: String, _ swiftName: String) -> String {
        let key = Self.childKeys[swiftName] ?? swiftName
        return key.isEmpty ? prefix : prefix + key + "."
    }

    /// The tensors of `namedParameters()`, keyed by name.
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.name, $0.parameter.wrappedValue) }, uniquingKeysWith: { first, _ in first })
    }

    /// Trainable parameters only.
    public func trainableParameters() -> [(name: String, tensor: Tensor)] {
        namedParameters().filter(\.parameter.isTrainable).map { ($0.name, $0.parameter.wrappedValue) }
    }

    /// The number of trainable scalars.
    public var parameterCount: Int {
        namedParameters().filter(\.parameter.isTrainable).reduce(0) { $0 + $1.parameter.wrappedValue.count }
    }

    /// Replaces every parameter from `tensors`. Strict: a name this module lacks, a parameter with
    /// no tensor, or a shape that differs throws `ModuleError`, and nothing is replaced.
    public func load(_ tensors: [String: Tensor]) throws {
        let slots = namedParameters()
        let expected = Set(slots.map(\.name))
        if let unused = tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw ModuleError.unexpectedKey(unused, shape: tensors[unused]!.shape)
        }
        for (name, parameter) in slots {
            guard let tensor = tensors[name] else {
                throw ModuleError.missingKey(name, expectedShape: parameter.wrappedValue.shape)
            }
            guard tensor.shape == parameter.wrappedValue.shape else {
                throw ModuleError.shapeMismatch(name, expected: parameter.wrappedValue.shape, found: tensor.shape)
            }
        }
        for (name, parameter) in slots { parameter.wrappedValue = tensors[name]! }
    }
}

/// Lets `namedParameters` see through an optional child module.
protocol OptionalModule {
    var module: Module? { get }
}

extension Optional: OptionalModule where Wrapped: Module {
    var module: Module? { self }
}

extension Mirror {
    /// Children of this class and its superclasses.
    var allChildren: [Mirror.Child] {
        Array(children) + (superclassMirror?.allChildren ?? [])
    }
}

/// Errors from loading parameters into modules; each names the key and the shapes involved.
public enum ModuleError: Error, Equatable, CustomStringConvertible {
    case missingKey(String, expectedShape: [Int])
    case unexpectedKey(String, shape: [Int])
    case shapeMismatch(String, expected: [Int], found: [Int])

    public var description: String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case let .missingKey(key, expected): return "checkpoint lacks '\(key)' (model expects \(shape(expected)))"
        case let .unexpectedKey(key, found): return "checkpoint has '\(key)' \(shape(found)), which the model does not use"
        case let .shapeMismatch(key, expected, found):
            return "'\(key)' has shape \(shape(found)) in the checkpoint but the model expects \(shape(expected))"
        }
    }
}
