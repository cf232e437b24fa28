import Foundation

/// Short, readable reasons for errors thrown by Foundation, for messages that already name the
/// file: "is a directory" rather than "The operation could not be completed. (NSCocoaErrorDomain
/// error 256.)", and "at 'vision_cfg.width': expected an integer, found a string" rather than a
/// `DecodingError` dump.
public enum FailureReason {
    /// The reason `error` happened, in a few words. Errors that are not Foundation's are described
    /// as they describe themselves.
    public static func of(_ error: any Error) -> String {
        if let decoding = error as? DecodingError { return describe(decoding) }
        if let posix = error as? POSIXError { return systemMessage(posix.code.rawValue) }
        let bridged = error as NSError
        guard bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain else {
            return String(describing: error)
        }
        if bridged.domain == NSPOSIXErrorDomain { return systemMessage(Int32(bridged.code)) }
        if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? any Error {
            let reason = of(underlying)
            if !reason.hasPrefix("failed (") { return reason }
        }
        if let detail = bridged.userInfo[NSDebugDescriptionErrorKey] as? String, !detail.isEmpty {
            return bridged.code == CocoaError.propertyListReadCorrupt.rawValue ? "not valid JSON: \(detail)" : detail
        }
        switch CocoaError.Code(rawValue: bridged.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        case .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding: return "the text is not valid UTF-8"
        default: return "failed (\(bridged.domain) \(bridged.code))"
        }
    }

    private static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }

    private static func describe(_ error: DecodingError) -> String {
        func place(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return path.isEmpty ? "" : "at '\(path)': "
        }
        switch error {
        case let .typeMismatch(type, context):
            return place(context) + "expected \(typeName(type))"
                + (context.debugDescription.range(of: "but found ").map { ", found " + context.debugDescription[$0.upperBound...].replacingOccurrences(of: " instead.", with: "") } ?? "")
        case let .valueNotFound(type, context):
            return place(context) + "expected \(typeName(type)), found null"
        case let .keyNotFound(key, context):
            return place(context) + "missing key '\(key.stringValue)'"
        case let .dataCorrupted(context):
            if let underlying = context.underlyingError { return of(underlying) }
            if context.debugDescription.contains("not valid JSON") { return "not valid JSON" }
            return place(context) + context.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") { return "an array" }
            if name.hasPrefix("Dictionary<") { return "an object" }
            return name
        }
    }
}
