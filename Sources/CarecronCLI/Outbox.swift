import ArgumentParser
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronSQLite
import CarecronStorage
import Foundation
import Logging

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "The messages carecron has planned: list them, retry, drop, send what is due.",
        subcommands: [OutboxList.self, OutboxRetry.self, OutboxDrop.self, OutboxSend.self, OutboxPurge.self])
}

extension OutboxState: ExpressibleByArgument {}

struct OutboxList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List messages, newest first.")
    @Option(help: "planned, sending, sent, failed, dead or cancelled") var state: OutboxState?
    @Option(help: "at most this many") var limit = 100
    @Option(help: "table or jsonl") var format: OutputFormat = .table
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        let messages = try await options.openExistingStore(config).outbox.list(state: state, limit: limit)
        for m in messages {
            let at = InstantFormat.format(m.sentAt ?? m.nextAttemptAt, clock: config.clock)
            let to = Masking.contact(m.rendering.to)
            switch format {
            case .jsonl:
                var f: [(String, JSONValue)] = [("id", .number(Double(m.id))), ("state", .string(m.state.rawValue)),
                                                ("job", .string(m.job)), ("key", .string(m.key)), ("channel", .string(m.rendering.channel)),
                                                ("to", .string(to)), ("attempts", .number(Double(m.attempts))), ("at", .string(at))]
                if let e = m.lastError { f.append(("error", .string(e))) }
                if let p = m.providerMessageId { f.append(("providerId", .string(p))) }
                if let n = m.fallbackNote { f.append(("fallback", .string(n))) }
                if let d = m.delivery {
                    f.append(("delivery", .string(d.rawValue)))
                    if let at = m.deliveredAt { f.append(("deliveredAt", .string(InstantFormat.format(at, clock: config.clock)))) }
                    if let r = m.deliveryReason { f.append(("deliveryReason", .string(r))) }
                }
                print(JSONValue.ordered(f).encoded)
            case .table:
                // What the provider said later, after what happened at sending.
                let delivery = m.delivery.map { d in
                    "  \(d.rawValue)" + (m.deliveredAt.map { " " + InstantFormat.format($0, clock: config.clock) } ?? "") + (m.deliveryReason.map { ": \($0)" } ?? "")
                } ?? ""
                print("\(String(m.id).padding(toLength: 6, withPad: " ", startingAt: 0)) \(m.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(at)  \(m.job) \(m.orderIds.joined(separator: ",")) \(m.rendering.channel) \(to) attempts=\(m.attempts)\(m.lastError.map { "  ! \($0)" } ?? "")\(delivery)\(m.fallbackNote.map { "  (\($0))" } ?? "")")
            }
        }
        if messages.isEmpty, format == .table { print("(no messages)") }
    }
}

struct OutboxRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Put a message (or every dead one) back in line, now.")
    @Argument(help: "the message id") var id: Int64?
    @Flag(help: "every dead message") var dead = false
    @OptionGroup var options: ConfigOption

    func validate() throws {
        guard (id != nil) != dead else { throw ValidationError("give a message id or --dead (one of them)") }
    }

    func run() async throws {
        let (config, _) = try options.loadValid()
        let n = try await options.openStore(config).outbox.retry(ids: id.map { [$0] }, now: WallClock.system.now())
        print("\(n) message(s) back in line")
        if n == 0, id != nil { throw ExitCode(1) }
    }
}

struct OutboxDrop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drop", abstract: "Give up on a message that was not sent.")
    @Argument(help: "the message id") var id: Int64
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        guard try await options.openStore(config).outbox.drop(id, now: WallClock.system.now()) else {
            Console.error("message \(id) is not waiting to be sent (already sent, dropped, or unknown)")
            throw ExitCode(1)
        }
        print("message \(id) dropped")
    }
}

struct OutboxSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send", abstract: "Send every message due now, then exit (the service does this on its own).")
    @Flag(help: "keep going, waiting for retries, until no message is waiting") var untilEmpty = false
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        Logs.bootstrap(config.logLevel)
        let built = SenderFactory.build(config)
        do { try DeliveryAssembly.refuseUnbuildableChannels(config, built, command: "outbox send") } catch {
            for line in error.lines { Console.error(line) }
            throw ExitCode(error.exitCode)
        }
        // On SQLite the service's own lock: messages a running service has on the wire look like a
        // crash's to recoverInFlight, and would go out a second time.
        var lock: InstanceLock?
        if config.postgres == nil, FileManager.default.fileExists(atPath: config.database.path) {
            do { lock = try InstanceLock(database: config.database) } catch {
                Console.error("carecron outbox send: \(error)")
                throw ExitCode(1)
            }
        }
        defer { withExtendedLifetime(lock) {} }
        let store = try await options.openStore(config)
        let dispatcher = DeliveryAssembly.dispatcher(config, jobs, store: store, built: built, log: Logger(label: "carecron"))
        let outbox = store.outbox
        _ = try await dispatcher.recordHeldOutcomes()
        _ = try await outbox.recoverInFlight(now: WallClock.system.now())
        let stopping = StopFlag.onSignals()
        var report = try await dispatcher.drain(while: { !stopping.isSet })
        while untilEmpty, !stopping.isSet, let next = try await outbox.nextDue() {
            let wait = next.timeIntervalSinceNow
            // A second at a time, so that Ctrl-C is heard.
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(min(wait, 1) * 1_000_000_000)) }
            let r = try await dispatcher.drain(while: { !stopping.isSet })
            report.sent += r.sent; report.retried += r.retried; report.dead += r.dead
            report.cancelled += r.cancelled; report.fellBack += r.fellBack
        }
        print("sent \(report.sent), retried \(report.retried), fell back \(report.fellBack), dead \(report.dead), cancelled \(report.cancelled)")
    }
}

enum Logs {
    nonisolated(unsafe) private static var done = false

    /// One line per event on stderr, for the journal; JSON for log shippers.
    static func bootstrap(_ level: String, json: Bool = false) {
        guard !done else { return }
        done = true
        let l = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, logLevel: l) }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = l
            return h
        }
    }
}

/// `--log-format json`: one JSON object a line on stderr.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var pairs: [(String, JSONValue)] = [("time", .string(ISO8601DateFormatter().string(from: WallClock.system.now()))),
                                            ("level", .string(event.level.rawValue)), ("message", .string(event.message.description))]
        if let error = event.error { pairs.append(("error", .string("\(error)"))) }
        for (k, v) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, b in b }).sorted(by: { $0.key < $1.key }) {
            pairs.append((k, .string(v.description)))
        }
        FileHandle.standardError.write(Data((JSONValue.ordered(pairs).encoded + "\n").utf8))
    }
}

struct SendersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "senders", abstract: "The configured senders.",
                                                    subcommands: [SendersTest.self])
}

struct SendersTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Send one test message through a configured sender and print the outcome.")
    @Argument(help: "the sender's name in config.json") var name: String
    @Option(help: "a phone (+84…, 09…) or an email address") var to: String
    @Option(help: "the Zalo template id, for zalo-zns senders") var template: String?
    @Flag(name: .customLong("zalo-dev"), help: "send a zalo-zns test in Zalo's development mode (it reaches the OA's administrators only)")
    var zaloDev = false
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        guard let sc = config.senders[name] else {
            let hint = Suggest.closest(to: name, among: Array(config.senders.keys)).map { " (did you mean \($0)?)" } ?? ""
            throw ValidationError("no sender named \"\(name)\"\(hint)")
        }
        let (senders, problems) = SenderFactory.build(config)
        guard let sender = senders[name] else {
            Console.error(problems.first { $0.sender == name }.map { "\(config.file.lastPathComponent): \($0.line)" } ?? "sender \(name) cannot be built")
            throw ExitCode(1)
        }
        let contact = to.contains("@") ? to.lowercased() : ((try? PhoneNumber(parsing: to).e164) ?? to)
        let channel = sc.channel.rawValue
        // A subject only where the channel has one: the console prints "subject: text".
        var message = OutgoingMessage(id: 0, idempotencyKey: "test:\(UUID().uuidString.lowercased())", job: "senders-test",
                                      channel: channel, to: contact, subject: channel == "email" ? "Tin nhắn thử từ carecron" : nil,
                                      text: "Tin nhắn thử từ carecron (\(config.shop.name)): cấu hình \(name) hoạt động.",
                                      params: ["message": "Tin nhắn thử"], templateId: template)
        message.development = zaloDev
        let outcome = await sender.send(message)
        print("\(name) → \(Masking.contact(contact)): \(outcome)")
        await sender.shutdown()
        if case .sent = outcome { return }
        throw ExitCode(1)
    }
}
