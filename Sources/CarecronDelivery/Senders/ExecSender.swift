import CarecronConfig
import CarecronDomain
import Foundation
import Subprocess
import SystemPackage

/// Runs a program the ops name with the message as JSON on standard input: a plug-in in any
/// language. Exit 0 is sent (the first line of its output, if any, is the provider's id);
/// 75 (EX_TEMPFAIL) is try again; 65 (EX_DATAERR) is this recipient cannot be reached; anything
/// else, or a timeout, is a failure tried again. Its output is read while it runs, so a chatty
/// plug-in never blocks on a full pipe; only the first line is kept.
public struct ExecSender: Sender {
    public let name: String
    public let limits: SenderLimits
    let command: String
    let arguments: [String]

    /// The provider's id is the first line; anything after it is read and dropped.
    static let idBytes = 1024

    public init(name: String, command: String, arguments: [String], limits: SenderLimits) {
        self.name = name
        self.command = command
        self.arguments = arguments
        self.limits = limits
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        let command = self.command, arguments = self.arguments, input = m.json, timeout = limits.timeout
        let result: (status: TerminationStatus, firstLine: String)?
        do {
            result = try await withThrowingTaskGroup(of: (status: TerminationStatus, firstLine: String)?.self) { group in
                group.addTask {
                    let r = try await Subprocess.run(.path(FilePath(command)), arguments: Arguments(arguments), input: .data(input),
                                                     output: .sequence, error: .discarded) { execution in
                        try await Self.firstLine(of: execution.standardOutput)
                    }
                    return (r.terminationStatus, r.closureResult)
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                    return nil
                }
                // Whichever ends first; cancelling the other tears the plug-in down (SIGKILL).
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
        } catch {
            return .misconfigured("cannot run \(command): \(Self.reason(error))")
        }
        guard let result else { return .unknown("\(command) timed out after \(Int(timeout)) s") }
        switch result.status {
        case .exited(0): return .sent(providerId: result.firstLine.isEmpty ? nil : result.firstLine)
        case .exited(75): return .retry("\(command) asked to try again (exit 75)", after: nil)
        case .exited(65): return .rejected("\(command) refused the recipient (exit 65)")
        case .exited(let code): return .retry("\(command) failed with exit \(code)", after: nil)
        case .signaled(let signal): return .unknown("\(command) was killed by signal \(signal)")
        }
    }

    /// Reads the whole output as it comes, keeping its first line.
    static func firstLine(of output: SubprocessOutputSequence) async throws -> String {
        var line: [UInt8] = [], ended = false
        for try await chunk in output where !ended {
            chunk.withUnsafeBytes { bytes in
                for b in bytes {
                    if b == 0x0A || line.count >= idBytes { ended = true; break }
                    line.append(b)
                }
            }
        }
        return String(decoding: line, as: UTF8.self).trimmedSpaces
    }

    static func reason(_ error: Error) -> String {
        if let e = error as? SubprocessError, let errno = e.underlyingError?.rawValue {
            return String(cString: strerror(errno))
        }
        return "it could not be started"
    }
}

/// `"type": "exec"`.
enum ExecPlugin: SenderPlugin {
    static let schema = SenderSchema(type: "exec", keys: ["command", "arguments", "timeout", "concurrency", "maxAttempts"])

    static func make(_ s: SenderSettings, _ setup: SenderSetup) throws -> any Sender {
        ExecSender(name: s.name, command: try s.required("command"), arguments: try s.strings("arguments") ?? [], limits: setup.limits)
    }
}
