import CarecronDomain
import Foundation

/// Prints each message: for demos and dry runs. Recipients are masked, as in every log.
public struct ConsoleSender: Sender {
    public let name: String
    public let limits = SenderLimits(concurrency: 1)
    let json: Bool

    public init(name: String, json: Bool = false) {
        self.name = name
        self.json = json
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        var masked = m
        masked.to = Masking.contact(m.to)
        let line = json ? String(decoding: masked.json, as: UTF8.self)
            : "→ \(m.channel) \(masked.to) [\(([m.job] + m.orderIds).joined(separator: " "))]\(m.subject.map { " \($0):" } ?? "") \(m.text)"
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        return .sent(providerId: nil)
    }
}

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

/// Runs a program the ops name with the message as JSON on standard input: a plug-in in any
/// language. Exit 0 is sent (the first line of its output, if any, is the provider's id);
/// 75 (EX_TEMPFAIL) is try again; 65 (EX_DATAERR) is this recipient cannot be reached; anything
/// else, or a timeout, is a failure tried again.
public struct ExecSender: Sender {
    public let name: String
    public let limits: SenderLimits
    let command: String
    let arguments: [String]

    public init(name: String, command: String, arguments: [String], limits: SenderLimits) {
        self.name = name
        self.command = command
        self.arguments = arguments
        self.limits = limits
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command)
        p.arguments = arguments
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return .misconfigured("cannot run \(command): \(error.localizedDescription)") }
        let writer = input.fileHandleForWriting
        try? writer.write(contentsOf: m.json)
        try? writer.close()
        let deadline = Date().addingTimeInterval(limits.timeout)
        while p.isRunning, Date() < deadline { try? await Task.sleep(nanoseconds: 5_000_000) }
        if p.isRunning {
            p.terminate()
            return .unknown("\(command) timed out after \(Int(limits.timeout)) s")
        }
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        switch p.terminationStatus {
        case 0: return .sent(providerId: out.split(separator: "\n").first.map(String.init))
        case 75: return .retry("\(command) asked to try again (exit 75)", after: nil)
        case 65: return .rejected("\(command) refused the recipient (exit 65)")
        default: return .retry("\(command) failed with exit \(p.terminationStatus)", after: nil)
        }
    }
}
