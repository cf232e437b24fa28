import AsyncHTTPClient
import CLIPFileSystem
import Foundation
import NIOCore
import NIOHTTP1

/// Streams one GET response into a partial file: appended after `offset` when the server honours
/// the Range request (206), rewritten from the start when it sends the whole file (200). Any other
/// status leaves the file untouched and keeps a little of the body for the error message.
final class FileTransfer: HTTPClientResponseDelegate, @unchecked Sendable {
    struct Outcome: Sendable {
        let status: Int
        let headers: HTTPHeaders
        /// Bytes of the file on disk after the transfer.
        let fileSize: Int64
        let message: String
    }

    private let file: URL
    private let offset: Int64
    private let onBytes: @Sendable (Int64) -> Void
    private var handle: FileHandle?
    private var status = 0
    private var headers = HTTPHeaders()
    private var position: Int64
    private var message = ""
    private var writeError: String?

    init(file: URL, offset: Int64, onBytes: @escaping @Sendable (Int64) -> Void) {
        self.file = file
        self.offset = offset
        self.position = offset
        self.onBytes = onBytes
    }

    func didReceiveHead(task: HTTPClient.Task<Outcome>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        headers = head.headers
        let resumed = status == 206 && (head.headers.first(name: "Content-Range")?.hasPrefix("bytes \(offset)-") ?? false)
        if status == 200 || resumed {
            do {
                if !FileManager.default.fileExists(atPath: file.path) {
                    _ = FileManager.default.createFile(atPath: file.path, contents: nil)
                }
                let handle = try FileHandle(forWritingTo: file)
                if status == 200 {
                    try handle.truncate(atOffset: 0)
                    position = 0
                } else {
                    try handle.truncate(atOffset: UInt64(offset))
                }
                try handle.seekToEnd()
                self.handle = handle
            } catch {
                writeError = FailureReason.of(error)
                task.fail(reason: HubError.cache(path: file.path, reason: "cannot write: \(FailureReason.of(error))"))
            }
        } else if status == 206 {
            status = -206   // a range we did not ask for: not written, reported by the caller
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Outcome>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        if let handle {
            do {
                try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
                position += Int64(buffer.readableBytes)
                onBytes(position)
            } catch {
                writeError = FailureReason.of(error)
                task.fail(reason: HubError.cache(path: file.path, reason: "cannot write: \(FailureReason.of(error))"))
            }
        } else if message.utf8.count < 500 {
            message += String(decoding: buffer.readableBytesView.prefix(500), as: UTF8.self)
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveError(task: HTTPClient.Task<Outcome>, _ error: Error) {
        closeFile()
    }

    func didFinishRequest(task: HTTPClient.Task<Outcome>) throws -> Outcome {
        closeFile()
        return Outcome(status: status, headers: headers, fileSize: position, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func closeFile() {
        try? handle?.synchronize()
        try? handle?.close()
        handle = nil
    }
}
