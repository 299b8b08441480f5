import CarecronConfig
import CarecronDomain
import Foundation
import Subprocess
import SystemPackage

/// Appends each message as one JSON line to a file, flushed to disk before it counts as sent:
/// for audits and integrations that read files.
public actor FileSender: Sender {
    public let name: String
    public nonisolated let limits = SenderLimits(concurrency: 1)
    let url: URL

    public init(name: String, url: URL) throws {
        self.name = name
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: url.path) {
            let fd = open(url.path, O_CREAT | O_WRONLY, 0o600)
            guard fd >= 0 else { throw SenderSetupError("file sender \(name): cannot create \(url.path)") }
            close(fd)
        }
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        let fd = open(url.path, O_WRONLY | O_APPEND)
        guard fd >= 0 else { return .retry("cannot open \(url.path): \(String(cString: strerror(errno)))", after: nil) }
        defer { close(fd) }
        var line = m.json
        line.append(0x0A)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { return .retry("cannot write \(url.path)", after: nil) }
        return .sent(providerId: nil)
    }
}

/// `"type": "file"`: a path absolute or beside config.json.
enum FilePlugin: SenderPlugin {
    static let schema = SenderSchema(type: "file", keys: ["path"])

    static func make(_ s: SenderSettings, _ setup: SenderSetup) throws -> any Sender {
        let path = try s.required("path")
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : setup.folder.appendingPathComponent(path)
        // Only checked (`validate`): the file is not created before the service runs.
        return setup.resolvesSecrets ? try FileSender(name: s.name, url: url) : ConsoleSender(name: s.name)
    }
}
