import ArgumentParser
import CarecronDomain
import CarecronStorage
import Foundation

struct RepliesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replies",
        abstract: "What customers wrote back (and the opt-outs among it).",
        subcommands: [RepliesList.self])
}

struct RepliesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List replies, newest first.")
    @Option(help: "only this customer's") var customer: String?
    @Option(help: "at most this many") var limit = 100
    @Option(help: "table or jsonl") var format: OutputFormat = .table
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        let replies = try await options.openExistingStore(config).replies(customerId: customer, limit: limit)
        for r in replies {
            let at = InstantFormat.format(r.receivedAt, clock: config.clock)
            let from = Masking.contact(r.from)
            switch format {
            case .jsonl:
                var f: [(String, JSONValue)] = [("id", .number(Double(r.id))), ("at", .string(at)), ("sender", .string(r.sender)),
                                                ("channel", .string(r.channel)), ("from", .string(from))]
                f.append(("customerId", r.customerId.map(JSONValue.string) ?? .null))
                f.append(("text", .string(r.text)))
                if let o = r.optOut { f.append(("optOut", .string(o.rawValue))); f.append(("cancelled", .number(Double(r.cancelled)))) }
                print(JSONValue.ordered(f).encoded)
            case .table:
                let who = r.customerId.map { "\($0)\(r.customerName.map { " (\($0))" } ?? "")" } ?? "unmatched"
                let opt = r.optOut.map { "  [opt-out: \($0.rawValue), \(r.cancelled) queued message(s) cancelled]" } ?? ""
                print("\(String(r.id).padding(toLength: 6, withPad: " ", startingAt: 0)) \(at)  \(r.channel) \(from)  \(who): \(r.text)\(opt)")
            }
        }
        if replies.isEmpty, format == .table { print("(no replies)") }
    }
}
