import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

/// A throwaway shop for a bench run: the shipped config.json and jobs (read from where they
/// are), its own database in a temporary folder, and the senders the run needs.
public struct BenchShop {
    public let folder: URL
    public let config: URL
    public var database: URL { folder.appendingPathComponent("var/bench.sqlite") }

    /// `extra` sets other keys of config.json (`configure` points the channels elsewhere).
    public init(from source: URL, extra: [String: Any] = [:]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("carecron-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("var"), withIntermediateDirectories: true)
        guard let data = FileManager.default.contents(atPath: source.path) else {
            throw BenchError("\(source.path): no such file (run the bench in the shop's folder, or give --config)")
        }
        guard var c = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchError("\(source.path): not a JSON object")
        }
        let jobs = ConfigPaths.resolve((c["jobs"] as? String) ?? "jobs", against: source.deletingLastPathComponent())
        c["jobs"] = jobs.path
        c["database"] = "var/bench.sqlite"
        c["http"] = nil
        c["log"] = ["level": "warning"]
        for (k, v) in extra { c[k] = v }
        config = folder.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: c, options: [.prettyPrinted]).write(to: config)
    }

    /// Points the shop's channels at `senders` (the store stays).
    public func configure(senders: [String: Any], channels: [String: String] = ["zalo": "hook", "sms": "hook", "email": "hook"]) throws {
        try edit {
            $0["senders"] = senders
            $0["channels"] = channels
        }
    }

    /// Reads the jobs from `folder` instead of the shipped ones.
    public func setJobs(_ folder: URL) throws {
        try edit { $0["jobs"] = folder.path }
    }

    /// Lets the service listen for the API on 127.0.0.1:`port`, its token from $`tokenVariable`.
    public func enableAPI(port: Int, tokenVariable: String) throws {
        try edit { $0["http"] = ["listen": "127.0.0.1:\(port)", "token": ["env": tokenVariable]] }
    }

    public func edit(_ change: (inout [String: Any]) -> Void) throws { try copyConfig(to: config, change) }

    /// Quiet hours of one minute hours away from `now` and from every shipped job's time and
    /// spread (a campaign's 09:00 + 2h): a live run at whatever hour (CI's at 4 a.m. in Saigon) is
    /// never held back by them, and the configuration is always valid.
    public func quietHoursAway(from now: Date = Date()) throws {
        let clock = ConfigLoader.load(config).config?.clock ?? ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!
        let start = Self.quietMinuteAway(from: now, clock: clock)
        try edit { $0["quietHours"] = ["from": start.description, "to": TimeOfDay(minutes: start.minutes + 1).description] }
    }

    /// 02:17, or 14:17 when `now` is between 01:00 and 06:00: no shipped job sends at either.
    public static func quietMinuteAway(from now: Date, clock: ShopClock) -> TimeOfDay {
        (1..<6).contains(clock.timeOfDay(of: now).hour) ? TimeOfDay(hour: 14, minute: 17) : TimeOfDay(hour: 2, minute: 17)
    }

    /// Writes the shop's config.json, changed, to `file` (another node's configuration, say).
    public func copyConfig(to file: URL, _ change: (inout [String: Any]) -> Void) throws {
        guard var c = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any] else { return }
        change(&c)
        try JSONSerialization.data(withJSONObject: c, options: [.prettyPrinted]).write(to: file)
    }

    /// Deletes the shop, unless $CARECRON_BENCH_KEEP is set (to look at its logs afterwards).
    public func remove() { BenchShop.remove(folder) }

    public static func remove(_ folder: URL) {
        if ProcessInfo.processInfo.environment["CARECRON_BENCH_KEEP"] != nil { print("kept: \(folder.path)"); return }
        try? FileManager.default.removeItem(at: folder)
    }

    /// A webhook sender `hook` posting to the bench receiver.
    public static func webhook(port: Int, concurrency: Int = 16, timeout: Double = 2, maxAttempts: Int = 30,
                               ratePerSecond: Double? = nil) -> [String: Any] {
        var hook: [String: Any] = ["type": "webhook", "url": "http://127.0.0.1:\(port)/hook", "concurrency": concurrency,
                                   "timeout": timeout, "maxAttempts": maxAttempts]
        hook["ratePerSecond"] = ratePerSecond
        return ["hook": hook]
    }

    /// A shop whose channels all go to a receiver of its own (which logs into the shop's folder,
    /// `receiver.log`, when `logged`), with `count` messages `bench:0…` due now.
    public static func sending(_ count: Int, from source: URL, faults: Receiver.Faults = Receiver.Faults(), logged: Bool,
                               extra: [String: Any] = [:], sender: (Int) -> [String: Any]) throws -> (BenchShop, Receiver) {
        let shop = try BenchShop(from: source, extra: extra)
        do {
            let receiver = try Receiver(log: logged ? shop.receiverLog : nil, faults: faults)
            try receiver.start()
            try shop.configure(senders: sender(receiver.port))
            let now = Date()
            try shop.enqueue(count) { _ in now }
            return (shop, receiver)
        } catch {
            shop.remove()
            throw error
        }
    }

    public var receiverLog: URL { folder.appendingPathComponent("receiver.log") }

    /// Puts `count` messages in the outbox, due at `due(i)`, each with its own key `bench:i`.
    public func enqueue(_ count: Int, due: (Int) -> Date) throws {
        let store = try Store(url: database)
        let outbox = Outbox(store: store)
        let now = Date()
        for i in 0..<count {
            try outbox.enqueue(keys: ["bench:\(i)"], job: "bench", customerId: nil, orderIds: [], reminder: nil,
                               renderings: [Rendering(channel: "sms", to: "+84912345678", subject: nil,
                                                      text: "Chi Lan oi, don \(i) dang cho thanh toan", params: [:], templateId: nil)],
                               dueAt: due(i), now: now)
        }
    }
}

/// The path of the running carecron binary, for the child processes a bench starts.
public var carecronBinary: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}
