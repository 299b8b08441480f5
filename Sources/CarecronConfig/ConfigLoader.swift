import CarecronDomain
import Foundation

/// Everything `carecron` runs on: config.json, the jobs, and what is wrong with them.
public struct LoadedConfiguration: Sendable {
    public var config: ShopConfig?
    public var jobs: [JobDefinition]
    public var diagnostics: [Diagnostic]

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var isValid: Bool { config != nil && errors.isEmpty }
}

public enum ConfigLoader {
    /// `--config`, else `CARECRON_CONFIG`, else `./config.json`.
    public static func configPath(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let path = option ?? environment["CARECRON_CONFIG"] ?? "config.json"
        return URL(fileURLWithPath: path).standardizedFileURL
    }

    /// Reads and checks config.json and every job file. Never throws: what is wrong comes back
    /// as diagnostics, so that `validate` can show all of it at once.
    /// `senders` is the sender types config.json may name (`SenderRegistry.catalog` in
    /// CarecronDelivery, whose `ConfigLoader.load(_:)` passes it).
    public static func load(_ file: URL, senders: SenderCatalog, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> LoadedConfiguration {
        let display = displayName(file)
        let sink = DiagnosticSink(file: display)
        guard let root = readJSON(file, sink: sink) else {
            return LoadedConfiguration(config: nil, jobs: [], diagnostics: sink.items)
        }
        var config = parseConfig(root, file: file, sink: sink, senders: senders)
        // Resolved once: every plan signs its survey links with it. `validate` warns when it cannot be.
        if let surveys = config?.surveys, let folder = config?.folder {
            let secret = try? surveys.secret.resolve(relativeTo: folder, environment: environment)
            config?.surveySecret = secret
            config?.surveyLinks = secret.map { SurveyLinks(base: surveys.linkBase, secret: $0) }
        }
        var diagnostics = sink.items
        var jobs: [JobDefinition] = []
        if let config {
            let loaded = JobLoader.loadAll(config: config)
            jobs = loaded.jobs
            diagnostics += loaded.diagnostics
        }
        return LoadedConfiguration(config: config, jobs: jobs, diagnostics: diagnostics)
    }

    /// Paths as the user typed them when inside the working folder, absolute otherwise.
    static func displayName(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return url.path.hasPrefix(cwd) ? String(url.path.dropFirst(cwd.count)) : url.path
    }

    static func readJSON(_ file: URL, sink: DiagnosticSink) -> Field? {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            sink.error("$", Sentence("config.unreadable_file"))
            return nil
        }
        do {
            return Field(value: try JSONReader.parse(data), path: "$", sink: sink)
        } catch {
            sink.error("$", error.sentence)
            return nil
        }
    }

    /// config.json, each section read by its own function, always in this order (the order in
    /// which `validate` lists what is wrong).
    static func parseConfig(_ root: Field, file: URL, sink: DiagnosticSink, senders catalog: SenderCatalog) -> ShopConfig? {
        guard let o = root.object else { return nil }
        let folder = file.deletingLastPathComponent()
        o.allow(["$comment"])
        let shop = o.required("shop").flatMap(parseShop)
        let clock = o.required("timeZone").flatMap(parseTimeZone)
        let location = o.required("database").flatMap { DatabaseLocation.parse($0, folder: folder) }
        // SQLite's file; with PostgreSQL, where a local file would go (the instance lock, backups).
        let database: URL? = location.map {
            if case .sqlite(let file) = $0 { return file }
            return ConfigPaths.resolve("var/carecron.postgres", against: folder)
        }
        // Absent: the folder beside config.json; present but empty: an error, and no folder.
        let jobsField = o.optional("jobs")
        let jobs = (jobsField == nil ? "jobs" : jobsField?.nonEmptyString).map { ConfigPaths.resolve($0, against: folder) }
        let quiet = o.required("quietHours")?.dailySpan
        let marketing = o.optional("marketing").map { parseMarketing($0, sink: sink) } ?? Marketing()
        let holdFor = o.optional("orders").flatMap(parseOrders) ?? .hours(24)
        let honorific = o.optional("customers").flatMap(parseCustomers) ?? "Bạn"
        let tiers = o.optional("tiers").map(parseTiers) ?? []
        let senders = o.required("senders").map { parseSenders($0, catalog: catalog) } ?? [:]
        let channels = o.required("channels").map { parseChannels($0, senders: senders, sink: sink) } ?? [:]
        let currency = o.optional("currency").flatMap(parseCurrency) ?? "VND"
        let dryRun = o.optional("dryRun")?.bool ?? false
        let logLevel = o.optional("log").flatMap(parseLog) ?? "info"
        let retry = o.optional("delivery").map(parseDelivery) ?? (base: TimeSpan.seconds(30), max: TimeSpan.hours(1))
        let http = o.optional("http").flatMap(parseHTTP)
        let console = o.optional("console").map(ConsoleSettings.parse) ?? ConsoleSettings()
        let prices = o.optional("prices").map(parsePrices) ?? [:]
        let keepFor = o.optional("outbox").map(parseOutbox) ?? ShopConfig.defaultOutboxKeepFor
        let replies = o.optional("replies").map(parseReplies)
        let calls = o.optional("calls").map(parseCalls) ?? CallPolicy()
        let conversations = o.optional("conversations").map(parseConversations) ?? ConversationPolicy()
        let surveys = o.optional("surveys").flatMap(parseSurveys)
        o.finish()
        if let q = quiet, q.length > 16 * 60 {
            sink.warning("quietHours", "quiet hours of \(q.length / 60) h leave little of the day for messages")
        }
        guard let shop, let clock, let database, let jobs, let quiet, !sink.hasErrors else { return nil }
        var config = ShopConfig(file: file, shop: shop, clock: clock, database: database, jobsFolder: jobs, quietHours: quiet,
                                marketingHours: marketing.hours, marketingDailyCap: marketing.cap, holdFor: holdFor,
                                unknownHonorific: honorific, tiers: tiers, senders: senders, channels: channels,
                                dryRun: dryRun, logLevel: logLevel, optOutLine: marketing.optOutLine)
        config.retryBase = retry.base
        if case .postgres(let settings) = location { config.postgres = settings }
        config.http = http
        config.retryMax = retry.max
        config.outboxKeepFor = keepFor
        config.currency = currency
        config.console = console ?? ConsoleSettings()
        config.prices = prices
        config.surveys = surveys
        config.calls = calls
        config.conversations = conversations
        if let replies {
            config.optOutKeywords = replies.keywords
            config.optOutConfirmation = replies.confirmation
        }
        return config
    }

    /// `calls`: `{"tries": 3, "retryAfter": "2h"}`: calls without an answer before the next channel, and the wait between them.
    static func parseCalls(_ f: Field) -> CallPolicy {
        var calls = CallPolicy()
        guard let o = f.object else { return calls }
        if let t = o.optional("tries") { calls.tries = t.int(1...10) ?? calls.tries }
        if let r = o.optional("retryAfter"), let span = r.timeSpan {
            if (TimeSpan.minutes(5)...TimeSpan.days(2)).contains(span) { calls.retryAfter = span } else { r.report("must be 5m to 2d") }
        }
        o.finish()
        return calls
    }

    /// `conversations`: `{"respondWithin": {"zalo": "15m", "email": "24h"}, "answerWindow": "24h", "reopenWithin": "7d"}`;
    /// a channel not named keeps the handbook's time.
    static func parseConversations(_ f: Field) -> ConversationPolicy {
        var policy = ConversationPolicy()
        guard let o = f.object else { return policy }
        if let within = o.optional("respondWithin")?.object {
            for channel in within.keys {
                guard let span = within.optional(channel)?.timeSpan else { continue }
                policy.respondWithin[channel] = span
            }
            within.finish()
        }
        if let w = o.optional("answerWindow")?.timeSpan { policy.answerWindow = w }
        if let r = o.optional("reopenWithin")?.timeSpan { policy.reopenWithin = r }
        o.finish()
        return policy
    }

    /// `replies`: `{"optOutKeywords": {"all": […], "marketing": […]}, "confirmation": {"all": "…", "marketing": "…"}}`.
    static func parseReplies(_ f: Field) -> (keywords: OptOutKeywords, confirmation: OptOutConfirmation) {
        var keywords = OptOutKeywords(), confirmation = OptOutConfirmation()
        guard let r = f.object else { return (keywords, confirmation) }
        func words(_ f: Field?) -> [String]? {
            guard let list = f?.array else { return nil }
            let out = list.compactMap(\.nonEmptyString)
            for (item, word) in zip(list, out) where OptOutKeywords.folded(word).isEmpty { item.report("\"\(word)\" has no letter or digit to match") }
            return out
        }
        if let k = r.optional("optOutKeywords")?.object {
            keywords.all = words(k.optional("all")) ?? keywords.all
            keywords.marketing = words(k.optional("marketing")) ?? keywords.marketing
            k.finish()
        }
        if let c = r.optional("confirmation")?.object {
            confirmation.all = c.optional("all")?.nonEmptyString
            confirmation.marketing = c.optional("marketing")?.nonEmptyString
            c.finish()
        }
        r.finish()
        return (keywords, confirmation)
    }

    /// `surveys`: `{"linkBase": "https://cskh.shop.vn", "secret": {"env": "…"}, "followUpWebhook": "https://…"}`.
    static func parseSurveys(_ f: Field) -> SurveySettings? {
        guard let o = f.object else { return nil }
        let base = o.required("linkBase")?.nonEmptyString
        if let base, URL(string: base)?.scheme.map({ ["http", "https"].contains($0) }) != true { o.required("linkBase")?.report("\"\(base)\" is not an http(s) address") }
        let secret = o.required("secret").flatMap(parseSecret)
        let hook = o.optional("followUpWebhook")?.nonEmptyString
        if let hook, URL(string: hook)?.host == nil { o.optional("followUpWebhook")?.report("\"\(hook)\" is not an address") }
        o.finish()
        guard let base, let secret else { return nil }
        return SurveySettings(linkBase: base, secret: secret, followUpWebhook: hook.flatMap { URL(string: $0) })
    }

    static func parseShop(_ f: Field) -> ShopFacts? {
        guard let s = f.object else { return nil }
        let name = s.required("name")?.nonEmptyString, hotline = s.required("hotline")?.nonEmptyString
        let website = s.optional("website")?.string ?? ""
        s.finish()
        guard let name, let hotline else { return nil }
        return ShopFacts(name: name, hotline: hotline, website: website)
    }

    static func parseTimeZone(_ f: Field) -> ShopClock? {
        guard let tz = f.nonEmptyString else { return nil }
        guard let clock = ShopClock(zoneIdentifier: tz) else {
            let hint = ZoneSuggestion.closest(to: tz).map { " (did you mean \($0)?)" } ?? ""
            f.report("unknown time zone \"\(tz)\"\(hint)")
            return nil
        }
        return clock
    }

    /// `marketing`: when advertising may go out, how many a day, and the line that says how to opt out.
    struct Marketing {
        var hours = DailySpan(from: TimeOfDay(hour: 7), to: TimeOfDay(hour: 22))
        var cap = 1
        var optOutLine = "Tu choi nhan tin QC: soan TC gui {{shop.hotline}}"
    }

    static func parseMarketing(_ f: Field, sink: DiagnosticSink) -> Marketing {
        var out = Marketing()
        guard let m = f.object else { return out }
        if let h = m.optional("hours") { out.hours = h.dailySpan ?? out.hours }
        if let c = m.optional("dailyCap") { out.cap = c.int(0...3) ?? out.cap }
        if let l = m.optional("optOutLine"), let line = l.nonEmptyString {
            do { _ = try MessageTemplate(line); out.optOutLine = line } catch { l.report(error.sentence) }
            if !MessageRules.endsWithOptOut(line) { l.report("must say how to opt out, e.g. \"Tu choi nhan tin QC: soan TC gui {{shop.hotline}}\"") }
        }
        m.finish()
        let legal = DailySpan(from: TimeOfDay(hour: 7), to: TimeOfDay(hour: 22))
        if out.hours.wrapsMidnight || out.hours.from < legal.from || out.hours.to > legal.to {
            sink.error("marketing.hours", "advertising may go out only 07:00–22:00 (Decree 91/2020), found \(out.hours)")
        }
        return out
    }

    static func parseOrders(_ f: Field) -> TimeSpan? {
        guard let orders = f.object else { return nil }
        let holdFor = orders.optional("holdFor")?.timeSpan
        orders.finish()
        return holdFor
    }

    static func parseCustomers(_ f: Field) -> String? {
        guard let c = f.object else { return nil }
        let honorific = c.optional("unknownHonorific")?.string
        c.finish()
        return honorific
    }

    /// `channels`: which sender carries each kind of message; each must name a sender.
    static func parseChannels(_ f: Field, senders: [String: SenderConfig], sink: DiagnosticSink) -> [ChannelKind: String] {
        guard let ch = f.object else { return [:] }
        var channels: [ChannelKind: String] = [:]
        for key in ch.keys {
            let f = ch.optional(key)!
            guard let kind = Field(value: .string(key), path: f.path, sink: sink).oneOf(ChannelKind.self) else { continue }
            guard let sender = f.nonEmptyString else { continue }
            if senders[sender] == nil {
                let hint = Suggest.closest(to: sender, among: Array(senders.keys)).map { " (did you mean \($0)?)" } ?? ""
                f.report("no sender named \"\(sender)\" in senders\(hint)")
            }
            channels[kind] = sender
        }
        return channels
    }

    static func parseCurrency(_ c: Field) -> String? {
        guard let code = c.nonEmptyString else { return nil }
        guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            c.report("\"\(code)\" is not an ISO 4217 currency code such as \"VND\"")
            return nil
        }
        // Amounts are kept as whole units (Money): a currency with cents would lose them.
        if !Money.wholeUnitCurrencies.contains(code) {
            c.report("\"\(code)\" has minor units (cents); carecron keeps amounts in whole units and knows the currencies without them: \(Money.wholeUnitCurrencies.sorted().joined(separator: ", "))")
        }
        return code
    }

    static func parseLog(_ f: Field) -> String? {
        guard let l = f.object else { return nil }
        var level: String?
        if let lv = l.optional("level"), let s = lv.string {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            if levels.contains(s) { level = s } else { lv.report("\"\(s)\" is not one of \(levels.joined(separator: ", "))") }
        }
        l.allow(["format"])
        l.finish()
        return level
    }

    /// `delivery`: the first retry's wait and the longest.
    static func parseDelivery(_ f: Field) -> (base: TimeSpan, max: TimeSpan) {
        var out = (base: TimeSpan.seconds(30), max: TimeSpan.hours(1))
        guard let d = f.object else { return out }
        if let r = d.optional("retryBase") { out.base = r.timeSpan ?? out.base }
        if let r = d.optional("retryMax") { out.max = r.timeSpan ?? out.max }
        d.finish()
        return out
    }

    /// `http`: where the API listens, its token, and what a client may hold of it.
    static func parseHTTP(_ f: Field) -> HTTPSettings? {
        guard let h = f.object else { return nil }
        let listen = h.required("listen")?.nonEmptyString
        let token = h.required("token").flatMap(parseSecret)
        let maxBody = h.optional("maxBodyBytes")?.int(1024...16 << 20) ?? 64 * 1024
        let webhookSecret = h.optional("webhookSecret").flatMap(parseSecret)
        let console = h.optional("console")?.bool ?? true
        var limits = ConnectionLimits()
        if let m = h.optional("maxConnections") { limits.maxConnections = m.int(8...65_536) ?? limits.maxConnections }
        if let t = h.optional("headerTimeout") { limits.headerTimeout = Self.seconds(t, within: 1...300) ?? limits.headerTimeout }
        if let t = h.optional("idleTimeout") { limits.idleTimeout = Self.seconds(t, within: 1...3600) ?? limits.idleTimeout }
        h.finish()
        guard let listen, let token else { return nil }
        let parts = listen.split(separator: ":")
        guard parts.count >= 2, let port = Int(parts.last!), (0...65535).contains(port) else {
            h.field.child("listen", .null).report("\"\(listen)\" must be HOST:PORT, e.g. \"127.0.0.1:8080\"")
            return nil
        }
        let host = parts.dropLast().joined(separator: ":").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return HTTPSettings(host: host, port: port, token: token, webhookSecret: webhookSecret, maxBodyBytes: maxBody,
                            console: console, limits: limits)
    }

    /// A duration ("10s", "1m") within a range of seconds.
    static func seconds(_ f: Field, within range: ClosedRange<Int>) -> TimeSpan? {
        guard let span = f.timeSpan else { return nil }
        guard range.contains(span.seconds) else {
            return f.fail("must be between \(TimeSpan.seconds(range.lowerBound)) and \(TimeSpan.seconds(range.upperBound)), found \(span)")
        }
        return span
    }

    /// `"outbox": {"keepFor": "90d"}`: how long sent, cancelled and dead messages stay (issue 14).
    static func parseOutbox(_ f: Field) -> TimeSpan {
        guard let o = f.object else { return ShopConfig.defaultOutboxKeepFor }
        var keepFor = ShopConfig.defaultOutboxKeepFor
        if let k = o.optional("keepFor"), let span = k.timeSpan {
            // A day at least: the dispatcher, status and the console read the day's messages.
            if span < .days(1) { k.report("keep finished messages a day at least, found \(span)") } else { keepFor = span }
        }
        o.finish()
        return keepFor
    }

    /// `"prices": {"sms": 850, "zalo": 300}`: per message on each channel, per segment for SMS.
    static func parsePrices(_ f: Field) -> [ChannelKind: Int] {
        guard let o = f.object else { return [:] }
        var out: [ChannelKind: Int] = [:]
        for key in o.keys {
            guard let value = o.optional(key) else { continue }
            guard let channel = ChannelKind(rawValue: key) else {
                let names = ChannelKind.allCases.map(\.rawValue)
                let hint = Suggest.closest(to: key, among: names).map { " (did you mean \($0)?)" } ?? ""
                value.report("\"\(key)\" is not a channel: \(names.joined(separator: ", "))\(hint)")
                continue
            }
            if let price = value.int(0...10_000_000) { out[channel] = price }
        }
        return out
    }

    static func parseTiers(_ f: Field) -> [Tier] {
        guard let o = f.object else { return [] }
        var tiers: [Tier] = []
        for name in o.keys {
            guard let t = o.optional(name)?.object else { continue }
            let minSpend = t.required("minSpend")?.int(0...Int(Int32.max) * 1000)
            let discount = t.optional("discount")?.string ?? ""
            let gift = t.optional("gift")?.string ?? ""
            let benefits = t.optional("benefits")?.string ?? ""
            t.finish()
            if let minSpend { tiers.append(Tier(name: name, minSpend: minSpend, discount: discount, gift: gift, benefits: benefits)) }
        }
        if !tiers.isEmpty, !tiers.contains(where: { $0.minSpend == 0 }) {
            f.sink.warning(f.path, "no tier starts at minSpend 0: customers below the lowest tier have none")
        }
        return tiers
    }

    static func parseSenders(_ f: Field, catalog: SenderCatalog) -> [String: SenderConfig] {
        guard let o = f.object else { return [:] }
        o.allow(["$comment"])
        var out: [String: SenderConfig] = [:]
        for name in o.keys where name != "$comment" {
            guard let s = o.optional(name)?.object, let type = s.required("type")?.string else { continue }
            guard let schema = catalog.schemas[type] else {
                let hint = Suggest.closest(to: type, among: catalog.types).map { " (did you mean \($0)?)" } ?? ""
                s.required("type")!.report("unknown sender type \"\(type)\"; known: \(catalog.types.joined(separator: ", "))\(hint)")
                continue
            }
            var secrets: [String: SecretRef] = [:]
            for key in schema.secrets {
                guard let v = s.optional(key) else { continue }
                if let ref = parseSecret(v) { secrets[key] = ref }
            }
            s.allow(schema.keys + ["$comment"])
            s.finish()
            out[name] = SenderConfig(name: name, type: type, settings: s.field.value, secrets: secrets, channel: schema.channel)
            out[name]?.takesReceipts = !schema.receiptsNeed.isEmpty
                && schema.receiptsNeed.allSatisfy { secrets[$0] != nil || s.keys.contains($0) }
        }
        return out
    }

    /// `{"env": "NAME"}`, `{"file": "path"}` or `{"credential": "name"}`; a plain string is refused,
    /// so a secret never sits in a file that gets copied, committed or shown.
    static func parseSecret(_ f: Field) -> SecretRef? {
        if case .string = f.value {
            return f.fail("secrets are never written into config.json: use {\"env\": \"VARIABLE\"}, {\"file\": \"path\"} or {\"credential\": \"name\"}")
        }
        guard let o = f.object else { return nil }
        let env = o.optional("env")?.nonEmptyString, file = o.optional("file")?.nonEmptyString
        let cred = o.optional("credential")?.nonEmptyString
        o.finish()
        let given = [env.map(SecretRef.env), file.map(SecretRef.file), cred.map(SecretRef.credential)].compactMap { $0 }
        guard given.count == 1 else { return f.fail("give exactly one of env, file or credential") }
        return given[0]
    }
}
