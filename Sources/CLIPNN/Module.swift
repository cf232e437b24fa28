import CLIPTensor

/// A named, trainable tensor slot in a `Module`; its checkpoint key is written on the property.
///
/// ```swift
/// final class Attention: Module {
///     @Parameter(key: "in_proj_weight") var inProjectionWeight: Tensor
///     @Parameter var scale: Tensor        // key "scale", the Swift name
///
///     init(width: Int) {
///         super.init()
///         inProjectionWeight = Tensor.zeros([3 * width, width])
///         scale = Tensor(1)
///     }
/// }
/// ```
@propertyWrapper
public final class Parameter: @unchecked Sendable {
    private var value: Tensor?
    /// The state-dict name when it differs from the Swift property name.
    public let key: String?
    /// Buffers (BatchNorm running statistics) load and save like parameters but are never trained.
    public let isTrainable: Bool

    /// The tensor; a module assigns it in its initialiser, before any use.
    public var wrappedValue: Tensor {
        get {
            guard let value else { preconditionFailure("parameter \(key ?? "") read before its module's initialiser set it") }
            return value
        }
        set { value = newValue }
    }

    /// A slot whose tensor the module's initialiser assigns.
    public init(key: String? = nil, trainable: Bool = true) {
        self.key = key
        self.isTrainable = trainable
    }

    /// A slot holding `wrappedValue`.
    public init(wrappedValue: Tensor, key: String? = nil, trainable: Bool = true) {
        self.value = wrappedValue
        self.key = key
        self.isTrainable = trainable
    }
}

/// A parameter that a module may or may not have (a linear layer's bias): nil is no parameter and
/// no state-dict entry.
@propertyWrapper
public final class OptionalParameter: @unchecked Sendable {
    /// The slot, while there is a tensor.
    public private(set) var parameter: Parameter?
    /// The state-dict name when it differs from the Swift property name.
    public let key: String?

    /// The tensor, or nil when the module has no such parameter.
    public var wrappedValue: Tensor? {
        get { parameter?.wrappedValue }
        set {
            guard let newValue else { parameter = nil; return }
            if let parameter { parameter.wrappedValue = newValue } else { parameter = Parameter(wrappedValue: newValue, key: key) }
        }
    }

    /// A slot, empty until the module's initialiser assigns a tensor.
    public init(key: String? = nil) {
        self.key = key
    }
}

/// A child module (or an array or optional of them) whose state-dict name differs from the Swift
/// property name; the key is written on the property. An empty key puts the child's parameters at
/// this module's level (open_clip keeps the text tower's keys at the top of the state dict).
///
/// ```swift
/// @ModuleInfo(key: "out_proj") public var outProjection: Linear
/// @ModuleInfo(key: "resblocks") public var blocks: [ResidualAttentionBlock]
/// ```
@propertyWrapper
public final class ModuleInfo<Value>: @unchecked Sendable {
    private var value: Value?
    /// The state-dict name of the child.
    public let key: String

    /// The child; the parent's initialiser assigns it before any use.
    public var wrappedValue: Value {
        get {
            guard let value else { preconditionFailure("module '\(key)' read before its parent's initialiser set it") }
            return value
        }
        set { value = newValue }
    }

    /// A slot whose child the parent's initialiser assigns.
    public init(key: String) {
        self.key = key
    }
}

/// What `Module` reflection reads from a `ModuleInfo` of any value type.
protocol KeyedChild {
    var key: String { get }
    var child: Any { get }
}

extension ModuleInfo: KeyedChild {
    var child: Any { wrappedValue }
}

/// The base of every layer and model: discovers its parameters and child modules by reflection,
/// named as in the reference state dict (`visual.transformer.resblocks.3.attn.in_proj_weight`), and
/// replaces them strictly.
open class Module {
    /// A module with no parameters yet; subclasses assign theirs in their initialisers.
    public init() {}

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
            case let optional as OptionalParameter:
                if let parameter = optional.parameter { result.append(.parameter(prefix + (optional.key ?? swiftName), parameter)) }
            case let keyed as KeyedChild:
                result += Self.modules(keyed.child, prefix: prefix, key: keyed.key)
            default:
                result += Self.modules(child.value, prefix: prefix, key: swiftName)
            }
        }
        return result
    }

    /// `value` as child modules named `key` (a module, an array of them as `key.N`, or an optional).
    private static func modules(_ value: Any, prefix: String, key: String) -> [Member] {
        switch value {
        case let module as Module:
            return [.module(key.isEmpty ? prefix : prefix + key + ".", module)]
        case let modules as [Module]:
            return modules.enumerated().map { .module(prefix + "\(key).\($0.offset).", $0.element) }
        default:
            if let optional = value as? OptionalModule, let module = optional.module {
                return [.module(key.isEmpty ? prefix : prefix + key + ".", module)]
            }
            return []
        }
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

    /// The message shown to the user.
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
