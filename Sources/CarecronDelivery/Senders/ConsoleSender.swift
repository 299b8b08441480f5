import CarecronConfig
import CarecronDomain
import Foundation
import Subprocess
import SystemPackage

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

/// `"type": "console"`.
enum ConsolePlugin: SenderPlugin {
    static let schema = SenderSchema(type: "console", keys: ["format"])

    static func make(_ s: SenderSettings, _ setup: SenderSetup) throws -> any Sender {
        ConsoleSender(name: s.name, json: try s.string("format") == "json")
    }
}
