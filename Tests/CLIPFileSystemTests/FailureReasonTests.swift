import CLIPFileSystem
import CLIPTestSupport
import Foundation
import Testing

@Suite("Failure reasons in words")
struct FailureReasonTests {
    struct Configuration: Decodable {
        struct Vision: Decodable { let width: Int }
        let name: String
        let vision: Vision
    }

    @Test("file errors name the system's reason, not an NSCocoaErrorDomain code")
    func fileErrors() throws {
        let directory = temporaryDirectory("failure-reasons")
        #expect(throws: FileReadError(path: directory.path, reason: "is a directory")) { try UserFile.read(directory.path) }
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(throws: FileReadError(path: missing, reason: "no such file or directory")) { try UserFile.read(missing) }
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FileReadError(path: fifo, reason: "a FIFO, not a regular file")) { try UserFile.read(fifo) }
        let file = directory.appendingPathComponent("file.txt")
        try Data("abc".utf8).write(to: file)
        #expect(try UserFile.read(file.path) == Data("abc".utf8))
    }

    @Test("JSON errors say what is wrong and where, not a DecodingError dump")
    func jsonErrors() throws {
        func reason(_ json: String) -> String {
            do {
                _ = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8))
                return "decoded"
            } catch {
                return FailureReason.of(error)
            }
        }
        #expect(reason(#"{"name": "a", "vision": {"width": "wide"}}"#) == "at 'vision.width': expected an integer, found a string")
        #expect(reason(#"{"name": "a"}"#) == "missing key 'vision'")
        #expect(reason(#"{"name": null, "vision": {"width": 1}}"#) == "at 'name': expected a string, found null")
        #expect(reason(#"{"name": "a", "#) == "not valid JSON")
        do {
            _ = try JSONSerialization.jsonObject(with: Data(String(repeating: "[", count: 100_000).utf8))
            Issue.record("accepted")
        } catch {
            let text = FailureReason.of(error)
            #expect(text.hasPrefix("not valid JSON: ") && text.contains("nested"), "\(text)")
        }
    }

    @Test("errors that are not Foundation's describe themselves")
    func ownErrors() {
        struct Custom: Error, CustomStringConvertible { var description: String { "custom words" } }
        #expect(FailureReason.of(Custom()) == "custom words")
    }
}
