import Foundation

/// A safe reader for the pickles inside PyTorch checkpoints.
///
/// It understands the opcodes of protocols 2–5 that `torch.save` and `torch.jit.save` produce and
/// builds only `PickleValue`s: containers, scalars, strings, tensors (from storages handed back by
/// `persistentLoad`) and TorchScript attribute bags. A GLOBAL outside `PickleGlobal`'s allow-list
/// throws `forbiddenPickleGlobal` at once, and REDUCE or NEWOBJ on anything that is not a tensor
/// rebuild or a container throws too: no code named by a file is ever run.
struct Unpickler {
    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private var position: Int
    private var stack: [PickleValue] = []
    private var marks: [[PickleValue]] = []
    private var memo: [Int: PickleValue] = [:]
    private let persistentLoad: (PickleValue) throws -> PickleValue

    /// The longest run of containers nested inside one another that is accepted.
    static let maximumMarkDepth = 10_000
    /// How deeply lists, dicts and tuples may nest (state dicts nest a handful of levels). Deeper
    /// structures would overflow the stack when traversed or freed.
    static let maximumNestingDepth = 1_000

    init(bytes: UnsafeRawBufferPointer, path: String, start: Int = 0,
         persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.bytes = bytes
        self.path = path
        self.position = start
        self.persistentLoad = persistentLoad
    }

    /// Where the next pickle would start (legacy checkpoints are several pickles in a row).
    var offset: Int { position }

    /// Reads one pickle up to its STOP opcode and returns its value.
    mutating func load() throws -> PickleValue {
        stack.removeAll()
        marks.removeAll()
        memo.removeAll()
        while true {
            let opcodeOffset = position
            let opcode = try byte()
            do {
                if let result = try execute(opcode) { return result }
            } catch let error as PickleFault {
                throw TensorError.malformedPickle(path: path, offset: opcodeOffset, reason: error.reason)
            }
        }
    }

    private struct PickleFault: Error { let reason: String }

    private func fault(_ reason: String) -> PickleFault { PickleFault(reason: reason) }

    // MARK: - Opcodes

    /// Runs one opcode; returns the result at STOP.
    private mutating func execute(_ opcode: UInt8) throws -> PickleValue? {
        switch opcode {
        case 0x80: _ = try byte()                                   // PROTO
        case 0x95: _ = try integer(8)                               // FRAME
        case 0x2E:                                                  // STOP
            guard let result = stack.popLast() else { throw fault("STOP with an empty stack") }
            return result
        case 0x28:                                                  // MARK
            guard marks.count < Self.maximumMarkDepth else { throw fault("more than \(Self.maximumMarkDepth) MARKs open at once (the limit)") }
            marks.append(stack)
            stack = []
        case 0x30: _ = try pop()                                    // POP
        case 0x31: _ = try popMark()                                // POP_MARK
        case 0x32: push(try top())                                  // DUP
        case 0x4E: push(.none)                                      // NONE
        case 0x88: push(.bool(true))                                // NEWTRUE
        case 0x89: push(.bool(false))                               // NEWFALSE
        case 0x4A: push(.int(Int(Int32(truncatingIfNeeded: try integer(4)))))  // BININT
        case 0x4B: push(.int(try integer(1)))                       // BININT1
        case 0x4D: push(.int(try integer(2)))                       // BININT2
        case 0x8A: push(try long(try integer(1)))                   // LONG1
        case 0x8B: push(try long(try length(4)))                    // LONG4
        case 0x49: push(try textInteger())                          // INT
        case 0x4C: push(try textInteger(long: true))                // LONG
        case 0x47:                                                  // BINFLOAT (big-endian double)
            let raw = try slice(8)
            push(.float(Double(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
        case 0x46:                                                  // FLOAT (text)
            guard let value = Double(try line()) else { throw fault("FLOAT is not a number") }
            push(.float(value))
        case 0x58: push(.string(try utf8(try slice(try length(4)))))   // BINUNICODE
        case 0x8C: push(.string(try utf8(try slice(try integer(1)))))  // SHORT_BINUNICODE
        case 0x8D: push(.string(try utf8(try slice(try length(8)))))   // BINUNICODE8
        case 0x56: push(.string(try line()))                        // UNICODE (raw-unicode-escape; ASCII here)
        case 0x54: push(.string(latin1(try slice(try length(4)))))  // BINSTRING
        case 0x55: push(.string(latin1(try slice(try integer(1))))) // SHORT_BINSTRING
        case 0x42: push(.bytes(Array(try slice(try length(4)))))    // BINBYTES
        case 0x43: push(.bytes(Array(try slice(try integer(1)))))   // SHORT_BINBYTES
        case 0x8E, 0x96: push(.bytes(Array(try slice(try length(8)))))  // BINBYTES8, BYTEARRAY8
        case 0x5D: push(.list(PickleList()))                        // EMPTY_LIST
        case 0x6C: push(try nested(.list(PickleList(try popMark()))))   // LIST
        case 0x61:                                                  // APPEND
            let item = try pop()
            try appendItems([item])
        case 0x65: try appendItems(try popMark())                   // APPENDS
        case 0x29: push(.tuple([]))                                 // EMPTY_TUPLE
        case 0x74: push(try nested(.tuple(try popMark())))         // TUPLE
        case 0x85: push(try nested(.tuple([try pop()])))            // TUPLE1
        case 0x86:                                                  // TUPLE2
            let second = try pop(), first = try pop()
            push(try nested(.tuple([first, second])))
        case 0x87:                                                  // TUPLE3
            let third = try pop(), second = try pop(), first = try pop()
            push(try nested(.tuple([first, second, third])))
        case 0x7D: push(.dict(PickleDict()))                        // EMPTY_DICT
        case 0x64:                                                  // DICT
            let dict = PickleDict()
            try setItems(dict, try popMark())
            push(.dict(dict))
        case 0x73:                                                  // SETITEM
            let value = try pop(), key = try pop()
            try setItems(try dictOnTop(), [key, value])
        case 0x75:                                                  // SETITEMS
            let items = try popMark()
            try setItems(try dictOnTop(), items)
        case 0x8F: push(.list(PickleList()))                        // EMPTY_SET (kept as a list)
        case 0x90: try appendItems(try popMark())                   // ADDITEMS
        case 0x91: push(try nested(.list(PickleList(try popMark()))))   // FROZENSET
        case 0x67: push(try recall(Int(try line()) ?? -1))          // GET
        case 0x68: push(try recall(try integer(1)))                 // BINGET
        case 0x6A: push(try recall(try integer(4)))                 // LONG_BINGET
        case 0x70: memo[Int(try line()) ?? -1] = try top()          // PUT
        case 0x71: memo[try integer(1)] = try top()                 // BINPUT
        case 0x72: memo[try integer(4)] = try top()                 // LONG_BINPUT
        case 0x94: memo[memo.count] = try top()                     // MEMOIZE
        case 0x63:                                                  // GLOBAL "module\nname\n"
            let module = try line(), name = try line()
            push(try global(module: module, name: name))
        case 0x93:                                                  // STACK_GLOBAL
            let name = try pop(), module = try pop()
            guard let moduleName = module.stringValue, let globalName = name.stringValue else {
                throw fault("STACK_GLOBAL needs two strings")
            }
            push(try global(module: moduleName, name: globalName))
        case 0x52:                                                  // REDUCE
            let arguments = try pop(), callable = try pop()
            push(try reduce(callable, arguments))
        case 0x81:                                                  // NEWOBJ
            let arguments = try pop(), cls = try pop()
            push(try newObject(cls, arguments))
        case 0x92:                                                  // NEWOBJ_EX
            _ = try pop()
            let arguments = try pop(), cls = try pop()
            push(try newObject(cls, arguments))
        case 0x62:                                                  // BUILD
            let state = try pop()
            try build(try top(), state)
        case 0x51: push(try persistentLoad(try pop()))              // BINPERSID
        case 0x50: push(try persistentLoad(.string(try line())))    // PERSID
        default:
            throw fault(String(format: "opcode 0x%02X is not supported in checkpoints", opcode))
        }
        return nil
    }

    // MARK: - Calls

    private func global(module: String, name: String) throws -> PickleValue {
        guard let global = PickleGlobal.resolve(module: module, name: name) else {
            throw TensorError.forbiddenPickleGlobal(path: path, global: "\(module).\(name)")
        }
        return .global(global)
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case let .global(global) = callable else { throw fault("REDUCE on a \(callable.kind), which is not callable") }
        guard case let .tuple(args) = arguments else { throw fault("REDUCE arguments are a \(arguments.kind), not a tuple") }
        switch global {
        case .orderedDict:
            let dict = PickleDict()
            if let items = args.first?.sequence {
                for item in items {
                    guard let pair = item.sequence, pair.count == 2 else { throw fault("OrderedDict item is not a pair") }
                    dict.set(pair[0], pair[1])
                }
            }
            return .dict(dict)
        case .rebuildTensorV2, .rebuildTensor:
            guard args.count >= 4, case let .storage(storage) = args[0], let offset = args[1].intValue,
                  let shape = args[2].sequence?.map(\.intValue), let strides = args[3].sequence?.map(\.intValue),
                  !shape.contains(nil), !strides.contains(nil), shape.count == strides.count else {
                throw fault("\(global) arguments are not (storage, offset, size, stride, …)")
            }
            return .tensor(TorchTensorReference(storage: storage, offset: offset, shape: shape.map { $0! }, strides: strides.map { $0! }))
        case .rebuildParameter:
            guard let data = args.first, case .tensor = data else { throw fault("a parameter without tensor data") }
            return data
        case .torchSize:
            return args.first ?? .tuple([])
        case .set:
            return .list(PickleList(args.first?.sequence ?? []))
        case .jitList, .restoreTypeTag:
            guard let value = args.first else { throw fault("\(global) without arguments") }
            return value
        case .storageType, .scriptClass:
            throw TensorError.forbiddenPickleGlobal(path: path, global: "\(global) called through REDUCE")
        }
    }

    private func newObject(_ cls: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case let .global(global) = cls else { throw fault("NEWOBJ on a \(cls.kind)") }
        switch global {
        case let .scriptClass(name): return .object(PickleObject(className: name))
        case .orderedDict: return .dict(PickleDict())
        default: throw TensorError.forbiddenPickleGlobal(path: path, global: "\(global) created through NEWOBJ")
        }
    }

    /// BUILD: TorchScript objects take their attribute dict; dicts (OrderedDict's `_metadata`) and
    /// tensors ignore extra attributes, as they carry no weights.
    private func build(_ target: PickleValue, _ state: PickleValue) throws {
        switch target {
        case let .object(object):
            guard !object.isPlaced else { throw reshapeFault(target) }
            object.depth = 1 + state.nestingDepth
            guard object.depth <= Self.maximumNestingDepth else { throw nestingFault() }
            try place([state], into: object)
            object.state = state
        case .dict, .tensor, .list: break
        default: throw fault("BUILD on a \(target.kind)")
        }
    }

    // MARK: - Containers

    private mutating func appendItems(_ items: [PickleValue]) throws {
        guard case let .list(list) = try top() else { throw fault("APPEND to a \(try top().kind)") }
        guard !list.isPlaced else { throw reshapeFault(.list(list)) }
        try place(items, into: list)
        list.depth = max(list.depth, 1 + (items.map(\.nestingDepth).max() ?? 0))
        guard list.depth <= Self.maximumNestingDepth else { throw nestingFault() }
        list.items.append(contentsOf: items)
    }

    /// `value`, a new list or tuple, once its nesting is checked against `maximumNestingDepth`.
    private func nested(_ value: PickleValue) throws -> PickleValue {
        guard value.nestingDepth <= Self.maximumNestingDepth else { throw nestingFault() }
        if let items = value.sequence { try place(items, into: nil) }
        return value
    }

    /// Marks the lists, dicts and objects among `items` (and inside tuples among them) as placed in
    /// `container`, refusing the container itself: `torch.save` never writes cycles.
    private func place(_ items: [PickleValue], into container: AnyObject?) throws {
        for item in items {
            switch item {
            case let .list(list):
                guard list !== container else { throw fault("a list placed inside itself") }
                list.isPlaced = true
            case let .dict(dict):
                guard dict !== container else { throw fault("a dict placed inside itself") }
                dict.isPlaced = true
            case let .object(object):
                guard object !== container else { throw fault("an object placed inside its own state") }
                object.isPlaced = true
            case let .tuple(members):
                try place(members, into: container)
            default:
                continue
            }
        }
    }

    private func reshapeFault(_ container: PickleValue) -> PickleFault {
        fault("a \(container.kind) is changed after being placed in another container (checkpoints never do this; it could hide nesting or make a cycle)")
    }

    private func nestingFault() -> PickleFault {
        fault("containers nested more than \(Self.maximumNestingDepth) deep (the limit)")
    }

    private func dictOnTop() throws -> PickleDict {
        guard case let .dict(dict) = try top() else { throw fault("SETITEM on a \(try top().kind)") }
        return dict
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw fault("SETITEMS with an odd number of values") }
        guard !dict.isPlaced else { throw reshapeFault(.dict(dict)) }
        try place(items, into: dict)
        dict.depth = max(dict.depth, 1 + (items.map(\.nestingDepth).max() ?? 0))
        guard dict.depth <= Self.maximumNestingDepth else { throw nestingFault() }
        for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
    }

    private mutating func push(_ value: PickleValue) { stack.append(value) }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw fault("stack underflow") }
        return value
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last else { throw fault("stack underflow") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let outer = marks.popLast() else { throw fault("no MARK to pop to") }
        let items = stack
        stack = outer
        return items
    }

    private func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fault("memo entry \(index) was never stored") }
        return value
    }

    // MARK: - Raw reads

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else {
            throw TensorError.malformedPickle(path: path, offset: position, reason: "ends without STOP (truncated?)")
        }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func slice(_ count: Int) throws -> UnsafeRawBufferPointer.SubSequence {
        guard count >= 0, count <= bytes.count - position else {
            throw fault("a \(count)-byte value runs past the end (truncated?)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// An unsigned little-endian integer of `width` bytes.
    private mutating func integer(_ width: Int) throws -> Int {
        try slice(width).reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    /// A length field, refused when it is negative or longer than what is left.
    private mutating func length(_ width: Int) throws -> Int {
        let value = try integer(width)
        guard value >= 0, value <= bytes.count - position else { throw fault("a length of \(value) runs past the end (truncated?)") }
        return value
    }

    private mutating func long(_ count: Int) throws -> PickleValue {
        let raw = Array(try slice(count))
        guard !raw.isEmpty else { return .int(0) }
        guard raw.count <= 8 else { return .bigInteger(raw) }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if raw.last! & 0x80 != 0 && raw.count < 8 { value |= ~UInt64(0) << UInt64(raw.count * 8) }  // sign-extend
        return .int(Int(Int64(bitPattern: value)))
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw fault("an unterminated text field") }
        defer { position = end + 1 }
        return latin1(bytes[position..<end])
    }

    private mutating func textInteger(long: Bool = false) throws -> PickleValue {
        var text = try line()
        if long, text.hasSuffix("L") { text.removeLast() }
        switch text {
        case "00": return .bool(false)
        case "01": return .bool(true)
        default:
            guard let value = Int(text) else { throw fault("INT '\(text)' is not an integer") }
            return .int(value)
        }
    }

    private func utf8(_ raw: UnsafeRawBufferPointer.SubSequence) throws -> String {
        guard let text = String(validating: raw, as: UTF8.self) else { throw fault("a string is not valid UTF-8") }
        return text
    }

    private func latin1(_ raw: UnsafeRawBufferPointer.SubSequence) -> String {
        String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))
    }
}
