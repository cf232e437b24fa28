/// The values a checkpoint pickle can rebuild: plain containers, numbers and strings, tensors, and
/// the attribute bags of TorchScript modules. Nothing else can be constructed.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as its little-endian two's-complement bytes.
    case bigInteger([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// One of the allowed Python callables, waiting for REDUCE or NEWOBJ.
    case global(PickleGlobal)
    case object(PickleObject)
    case storage(TorchStorageReference)
    case tensor(TorchTensorReference)

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInteger: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case let .global(global): return "global \(global)"
        case let .object(object): return "object \(object.className)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }

    var intValue: Int? { if case let .int(value) = self { return value } else { return nil } }
    var stringValue: String? { if case let .string(value) = self { return value } else { return nil } }

    /// The elements of a tuple or list.
    var sequence: [PickleValue]? {
        switch self {
        case let .tuple(items): return items
        case let .list(list): return list.items
        default: return nil
        }
    }
}

/// A pickled list: a reference, because APPEND may reach it through the memo after it is shared.
final class PickleList {
    var items: [PickleValue]
    /// How deeply containers nest inside this one (1 for a list of plain values), kept up to date as
    /// items are added so that the unpickler can refuse deep nesting before it is built.
    var depth: Int
    /// Whether the list is inside another container. The unpickler then refuses to change it: its
    /// `depth` is counted in every container holding it, and a change could make a cycle.
    var isPlaced = false
    init(_ items: [PickleValue] = []) {
        self.items = items
        depth = 1 + (items.map(\.nestingDepth).max() ?? 0)
    }
}

/// A pickled dict (or OrderedDict), keeping insertion order.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// As `PickleList.depth`.
    var depth = 1
    /// As `PickleList.isPlaced`.
    var isPlaced = false
    private var stringIndex: [String: Int] = [:]

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let name = key.stringValue {
            if let index = stringIndex[name] {
                entries[index].value = value
                return
            }
            stringIndex[name] = entries.count
        }
        entries.append((key, value))
    }

    subscript(name: String) -> PickleValue? { stringIndex[name].map { entries[$0].value } }
}

/// An instance of a TorchScript class (`__torch__.…`): only its attributes are kept.
final class PickleObject {
    let className: String
    var state: PickleValue = .none
    /// As `PickleList.depth`: one more than the state's.
    var depth = 1
    /// As `PickleList.isPlaced`.
    var isPlaced = false
    init(className: String) { self.className = className }
}

/// The Python globals a checkpoint may name. Everything else is refused before anything is built.
enum PickleGlobal: CustomStringConvertible {
    case orderedDict
    case rebuildTensorV2          // torch._utils._rebuild_tensor_v2
    case rebuildTensor            // torch._utils._rebuild_tensor (older files)
    case rebuildParameter         // torch._utils._rebuild_parameter(_with_state)
    case storageType(SafeTensorsDType)
    case scriptClass(String)      // __torch__.* (TorchScript modules)
    case jitList                  // torch.jit._pickle.build_*list
    case restoreTypeTag           // torch.jit._pickle.restore_type_tag
    case torchSize
    case set

    static func resolve(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameter
        case ("torch", "Size"): return .torchSize
        case ("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set"), ("__builtin__", "frozenset"): return .set
        case ("torch.jit._pickle", "restore_type_tag"): return .restoreTypeTag
        case ("torch.jit._pickle", _) where name.hasPrefix("build_") && name.hasSuffix("list"): return .jitList
        case ("torch", _):
            return storageTypes[name].map { .storageType($0) }
        default:
            return module == "__torch__" || module.hasPrefix("__torch__.") ? .scriptClass("\(module).\(name)") : nil
        }
    }

    static let storageTypes: [String: SafeTensorsDType] = [
        "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16, "DoubleStorage": .float64,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    var description: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case let .storageType(dtype): return "torch storage of \(dtype.rawValue)"
        case let .scriptClass(name): return name
        case .jitList: return "torch.jit._pickle.build_list"
        case .restoreTypeTag: return "torch.jit._pickle.restore_type_tag"
        case .torchSize: return "torch.Size"
        case .set: return "builtins.set"
        }
    }
}

/// A storage a pickle refers to by key; its bytes live beside the pickle (zip entry or legacy stream).
struct TorchStorageReference {
    let key: String
    let dtype: SafeTensorsDType
    /// Elements in the storage.
    let count: Int
    /// Elements skipped at the start: legacy files can refer to a view of another storage.
    var viewOffset = 0
}

/// A tensor as a pickle describes it: a strided window on a storage.
struct TorchTensorReference {
    let storage: TorchStorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

extension PickleValue {
    /// How deeply containers nest in this value: 0 for a scalar, a container's own depth otherwise.
    /// Lists and dicts keep theirs; a tuple's is computed from its items (bounded, since every
    /// container was checked against the unpickler's limit when it was made).
    var nestingDepth: Int {
        switch self {
        case let .list(list): return list.depth
        case let .dict(dict): return dict.depth
        case let .object(object): return object.depth
        case let .tuple(items): return 1 + (items.map(\.nestingDepth).max() ?? 0)
        default: return 0
        }
    }
}
