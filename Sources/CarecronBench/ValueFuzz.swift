import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Crypto
import Foundation

/// Issue 24: amounts and dates, the two kinds of value carecron once read wrong (×100, 30 February
/// as 2 March), generated with their one true reading known, or known to have none, and sent
/// through every way in: CSV and JSON Lines imports, the HTTP API, Shopify's and Haravan's
/// webhooks, job files. A value read any other way than the generator meant, or refused without
/// naming its field, is a mismatch.
struct ValueFuzz {
    var g: SplitMix

    /// An amount as a shop writes it, and what it is in đồng (nil: it must be refused).
    struct Amount { let text: String; let value: Int? }
    /// A time as an export writes it, and the instant it is (nil: it must be refused).
    struct Instant { let text: String; let value: Date? }

    static let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
    static let clock = ShopClock(zone: zone)

    // MARK: Amounts

    mutating func wholeNumber() -> Int {
        switch Int.random(in: 0..<10, using: &g) {
        case 0: return Int.random(in: 0...999, using: &g)
        case 1...6: return Int.random(in: 1...5_000, using: &g) * 1_000
        case 7: return Int.random(in: 1_000...999_999_999, using: &g)
        case 8: return Int.random(in: 1_000_000_000...Money.maximum, using: &g)
        default: return Int.random(in: (Money.maximum + 1)...Int.max, using: &g)
        }
    }

    static func grouped(_ n: Int, _ mark: String) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += mark }
            out.append(c)
        }
        return out
    }

    /// A whole number written one of the ways that read back as itself.
    mutating func amount() -> Amount {
        if Int.random(in: 0..<4, using: &g) == 0 { return badAmount() }
        let n = wholeNumber()
        let plain = String(n)
        var text: String
        switch Int.random(in: 0..<8, using: &g) {
        case 0: text = plain
        case 1: text = Self.grouped(n, ".")
        case 2: text = Self.grouped(n, ",")
        case 3: text = plain + [".00", ".0", ",00"][Int.random(in: 0..<3, using: &g)]
        case 4: text = Self.grouped(n, ",") + ".00"
        case 5: text = Self.grouped(n, ".") + ",00"
        case 6: text = Self.grouped(n, ",") + ".0"
        default: text = Self.grouped(n, ".") + [" ₫", "₫", "đ", " VND"][Int.random(in: 0..<4, using: &g)]
        }
        return Amount(text: text, value: n <= Money.maximum ? n : nil)
    }

    /// Amounts that have no one reading in đồng.
    mutating func badAmount() -> Amount {
        let n = Int.random(in: 1...99_999, using: &g)
        let texts = ["\(n).5", "\(n).50", "\(n),25", "\(n).01", "1.234.56", "12,34,567", "0.500", "\(n)e3", "1E300", "nan", "inf",
                     "\(n + 1_000).000", "\(n + 1_000),000", "١٢٣٤٥", "１２３",
                     "-\(n)", "+\(n)", "0x\(n)", "", "\(n) 000", "١٢٣", "1.250,000.00", "\(n)..0", "\(n).", ".\(n)",
                     String(repeating: "9", count: Int.random(in: 14...40, using: &g))]
        return Amount(text: texts[Int.random(in: 0..<texts.count, using: &g)], value: nil)
    }

    /// A JSON number (Haravan's prices, a JSON body's amount) and its reading.
    mutating func amountNumber() -> (json: String, value: Int?) {
        let n = Int.random(in: 0...9_000_000, using: &g) * 1_000
        switch Int.random(in: 0..<6, using: &g) {
        case 0, 1: return ("\(n)", n)
        case 2: return ("\(n).0", n)
        case 3: return ("\(n).5", nil)
        case 4: return (["1e300", "-\(n + 1)", "5000000000000000000"][Int.random(in: 0..<3, using: &g)], nil)
        default: return ("\(n / 1_000)e3", n)
        }
    }

    // MARK: Dates

    /// A time, mostly valid; the rest with a field past its range (30 February, 24:00, +15:00).
    mutating func instant() -> Instant {
        let y = Int.random(in: 2020...2030, using: &g)
        let bad = Int.random(in: 0..<3, using: &g) == 0
        var m = Int.random(in: 1...12, using: &g), d = Int.random(in: 1...28, using: &g)
        var h = Int.random(in: 0...23, using: &g), mi = Int.random(in: 0...59, using: &g), s = Int.random(in: 0...59, using: &g)
        let offsets = ["Z", "+07:00", "-05:30", "+0700", "+07", "+14:00", ""]
        var offset = offsets[Int.random(in: 0..<offsets.count, using: &g)]
        if bad {
            switch Int.random(in: 0..<7, using: &g) {
            case 0: d = [29, 30, 31][Int.random(in: 0..<3, using: &g)]; m = 2
            case 1: d = 31; m = [4, 6, 9, 11][Int.random(in: 0..<4, using: &g)]
            case 2: m = [0, 13][Int.random(in: 0..<2, using: &g)]
            case 3: d = [0, 32][Int.random(in: 0..<2, using: &g)]
            case 4: h = 24
            case 5: mi = 60; s = Int.random(in: 0...60, using: &g)
            default: offset = ["+15:00", "+07:60", "-14:30"][Int.random(in: 0..<3, using: &g)]
            }
        }
        let separator = Int.random(in: 0..<4, using: &g) == 0 ? " " : "T"
        let hour = Int.random(in: 0..<6, using: &g) == 0 && h < 10 ? "\(h)" : String(format: "%02d", h)
        let millis = Int.random(in: 0..<5, using: &g) == 0 ? Int.random(in: 0...999, using: &g) : nil
        var text = String(format: "%04d-%02d-%02d", y, m, d) + separator + hour + String(format: ":%02d:%02d", mi, s)
            + (millis.map { String(format: ".%03d", $0) } ?? "") + offset
        var value = Self.oracle(y, m, d, h, mi, s, offset).map { $0.addingTimeInterval(Double(millis ?? 0) / 1000) }
        if !bad, Int.random(in: 0..<12, using: &g) == 0 {
            // Another script's digits, in the whole text or in the time of day only: a time to no
            // one reading it as ASCII.
            let arabic = Array("٠١٢٣٤٥٦٧٨٩"), from = Int.random(in: 0..<2, using: &g) == 0 ? 0 : 11
            text = String(text.enumerated().map { i, c in i >= from && c.isASCII && c.isNumber ? arabic[Int(String(c))!] : c })
            value = nil
        }
        return Instant(text: text, value: value)
    }

    /// The instant by Foundation's calendar, asked not to be lenient: the reading the generator
    /// means, worked out without carecron's parser.
    static func oracle(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ offset: String) -> Date? {
        let seconds: Int
        switch offset {
        case "": seconds = zone.secondsFromGMT()
        case "Z": seconds = 0
        default:
            let sign = offset.hasPrefix("-") ? -1 : 1
            let digits = offset.dropFirst().filter { $0 != ":" }
            guard let oh = Int(digits.prefix(2)), let om = digits.count > 2 ? Int(digits.suffix(2)) : 0, om < 60,
                  oh * 60 + om <= 14 * 60 else { return nil }
            seconds = sign * (oh * 3600 + om * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: seconds)!
        let parts = DateComponents(calendar: calendar, timeZone: calendar.timeZone, year: y, month: m, day: d, hour: h, minute: mi, second: s)
        guard parts.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: parts)
    }

    // MARK: One case

    struct Case {
        let id: String
        let amount: Amount
        let placed: Instant
        /// The field a refusal must name: the first of the two that is wrong.
        var refusedField: String? { amount.value == nil ? "amount" : placed.value == nil ? "placed_at" : nil }
    }

    /// One value wrong at a time, mostly: a refusal must name the right field.
    mutating func next(_ id: String) -> Case {
        var amount = self.amount(), placed = instant()
        if Int.random(in: 0..<2, using: &g) == 0 {
            if amount.value == nil { amount = Amount(text: "450000", value: 450_000) }
        } else if placed.value == nil {
            placed = Instant(text: "2026-12-01T08:15:00+07:00", value: Self.oracle(2026, 12, 1, 8, 15, 0, "+07:00"))
        }
        return Case(id: id, amount: amount, placed: placed)
    }
}

extension Fuzzer {
    /// The values round: `cases` orders through CSV, JSON Lines, the API and both platforms'
    /// webhooks, and campaign job files; returns the mismatches as unclear cases.
    public mutating func values(cases: Int, source: URL, port: Int, token: String, webhookSecret: String, database: URL) throws -> Outcome {
        var fuzz = ValueFuzz(g: SplitMix(seed: UInt64.random(in: 0...UInt64.max, using: &g)))
        var out = Outcome()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("carecron-values-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // Imports: a file of 50 cases at a time, CSV and JSON Lines in turn, into a store of their own.
        let store = try Store(url: folder.appendingPathComponent("values.sqlite"))
        let importer = Importer(store: store, clock: ValueFuzz.clock)
        let customers = folder.appendingPathComponent("customers.csv")
        try "id,full_name\nC001,Trần Thị Lan\n".write(to: customers, atomically: true, encoding: .utf8)
        _ = try importer.run(.customers, file: customers)
        let perEntry = max(1, cases / 5)
        var made = 0
        while made < 2 * perEntry {
            let jsonl = (made / 50) % 2 == 1
            let batch = (0..<min(50, 2 * perEntry - made)).map { fuzz.next("\(jsonl ? "J" : "C")\(made + $0)") }
            made += batch.count
            let file = folder.appendingPathComponent(jsonl ? "in.jsonl" : "in.csv")
            let lines = batch.map { c in
                jsonl ? "{\"id\":\"\(c.id)\",\"customer_id\":\"C001\",\"placed_at\":\"\(c.placed.text)\",\"amount\":\"\(c.amount.text)\"}"
                      : "\(c.id),C001,\"\(c.placed.text)\",\"\(c.amount.text)\""
            }
            try ((jsonl ? [] : ["id,customer_id,placed_at,amount"]) + lines).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let report = try importer.run(.orders, file: file, displayName: file.lastPathComponent)
            let first = jsonl ? 1 : 2
            for (i, c) in batch.enumerated() {
                out.cases += 1
                let problem = report.problems.first { $0.hasPrefix("\(file.lastPathComponent):\(i + first): ") }
                out.check(c, refusal: problem.map { Self.field(ofRowProblem: $0) }, stored: try Self.stored(c.id, in: store), via: file.lastPathComponent)
            }
        }

        // The API and the webhooks of a running service.
        let service = try Store(url: database, readOnly: true)
        for i in 0..<perEntry {
            var c = fuzz.next("A\(i)")
            var amount = "\"\(c.amount.text)\""
            if i % 3 == 0 {
                // A JSON number, as clients send it.
                let number = fuzz.amountNumber()
                amount = number.json
                c = ValueFuzz.Case(id: c.id, amount: ValueFuzz.Amount(text: number.json, value: number.value), placed: c.placed)
            }
            let body = "{\"customer_id\":\"C001\",\"placed_at\":\"\(c.placed.text)\",\"amount\":\(amount)}"
            let reply = Self.request(port: port, "PUT", "/v1/orders/\(c.id)", body, headers: ["Authorization": "Bearer \(token)"])
            out.cases += 1
            out.check(c, reply: reply, amountField: "amount", timeField: "placed_at", stored: try Self.stored(c.id, in: service), via: "PUT /v1/orders")
        }
        for platform in ["shopify", "haravan"] {
            for i in 0..<perEntry {
                var c = fuzz.next("\(platform.prefix(1).uppercased())\(i)")
                var price = "\"\(c.amount.text)\""
                if platform == "haravan" {
                    let number = fuzz.amountNumber()
                    price = number.json
                    c = ValueFuzz.Case(id: c.id, amount: ValueFuzz.Amount(text: number.json, value: number.value), placed: c.placed)
                }
                let orderId = 5_000_000 + i * 2 + (platform == "haravan" ? 1 : 0)
                let body = """
                    {"id":\(orderId),"created_at":"\(c.placed.text)","total_price":\(price),"financial_status":"pending","gateway":"bank_transfer",\
                    "customer":{"id":"C001","first_name":"Lan","last_name":"Trần Thị"}}
                    """
                let signature = Data(HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(webhookSecret.utf8))))
                    .base64EncodedString()
                let prefix = platform == "shopify" ? "X-Shopify" : "X-Haravan"
                let reply = Self.request(port: port, "POST", "/webhooks/\(platform)", body, headers: [
                    "\(prefix)-Topic": "orders/create", "\(prefix)-Webhook-Id": "v-\(c.id)",
                    platform == "shopify" ? "X-Shopify-Hmac-Sha256" : "X-Haravan-Hmac-Sha256": signature])
                out.cases += 1
                out.check(ValueFuzz.Case(id: "\(orderId)", amount: c.amount, placed: c.placed), reply: reply, amountField: "total_price",
                          timeField: "created_at", stored: try Self.stored("\(orderId)", in: service), via: "\(platform) webhook")
            }
        }

        // Campaign job files: "at" a time, and a variant's minAmount a JSON number.
        let jobs = folder.appendingPathComponent("jobs")
        try FileManager.default.createDirectory(at: jobs, withIntermediateDirectories: true)
        let shop = try BenchShop(from: source)
        defer { shop.remove() }
        try shop.setJobs(jobs)
        for _ in 0..<perEntry {
            let at = fuzz.instant(), minimum = fuzz.amountNumber()
            let job = """
                {"type": "campaign", "enabled": true, "purpose": "marketing", "channels": ["sms"], "duringQuietHours": "drop",
                 "audience": {}, "when": {"at": "\(at.text)"}, "spread": "1h",
                 "templates": [{"text": "[QC] {{customer.salutation}} ơi, shop tặng mình ưu đãi.\\n{{optOut}}", "minAmount": \(minimum.json)}]}
                """
            try job.write(to: jobs.appendingPathComponent("values.json"), atomically: true, encoding: .utf8)
            let errors = ConfigLoader.load(shop.config).errors.filter { $0.file.hasSuffix("values.json") }.map(\.description)
            out.cases += 1
            let atRefused = errors.contains { $0.contains("when.at") }, minimumRefused = errors.contains { $0.contains("minAmount") }
            if atRefused != (at.value == nil) { out.unclear("job file \"at\": \(at.text) \(atRefused ? "refused" : "accepted"): \(errors)") }
            if minimumRefused != (minimum.value == nil) {
                out.unclear("job file minAmount \(minimum.json) \(minimumRefused ? "refused" : "accepted"): \(errors)")
            }
        }
        return out
    }

    /// The order as stored, if it is.
    static func stored(_ id: String, in store: Store) throws -> (amount: Int, placedAt: Int)? {
        try store.customerWithOrders(id: "C001")?.orders.first { $0.id == id }.map { ($0.amount, Int($0.placedAt.timeIntervalSince1970)) }
    }

    /// `in.csv:LINE: field: reason` → field.
    static func field(ofRowProblem p: String) -> String {
        let parts = p.split(separator: ":", maxSplits: 3)
        return parts.count >= 3 ? parts[2].trimmingCharacters(in: .whitespaces) : p
    }

    static func request(port: Int, _ method: String, _ path: String, _ body: String, headers: [String: String]) -> (status: Int, body: String)? {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        let bytes = Array(body.utf8)
        return exchange(port: port, Array((head + "Content-Length: \(bytes.count)\r\n\r\n").utf8) + bytes)
    }
}

extension Fuzzer.Outcome {
    /// An import's verdict on a case: refused naming the right field, or stored as meant.
    mutating func check(_ c: ValueFuzz.Case, refusal: String?, stored: (amount: Int, placedAt: Int)?, via: String) {
        if let expected = c.refusedField {
            rejected += 1
            if stored != nil { unclear("\(via): \(c.amount.text) / \(c.placed.text) stored; must be refused (\(expected))") }
            guard let refusal else { return unclear("\(via): \(c.amount.text) / \(c.placed.text) accepted; must be refused (\(expected))") }
            if c.amount.value == nil, c.placed.value == nil { return }
            if refusal != expected { unclear("\(via): \(c.amount.text) / \(c.placed.text) refused naming \(refusal), not \(expected)") }
        } else {
            guard let stored else { return unclear("\(via): \(c.amount.text) / \(c.placed.text) refused (\(refusal ?? "?")); must be stored") }
            let placed = Int(c.placed.value!.timeIntervalSince1970)
            if stored.amount != c.amount.value! || stored.placedAt != placed {
                unclear("\(via): \(c.amount.text) / \(c.placed.text) stored as \(stored.amount), \(stored.placedAt); meant \(c.amount.value!), \(placed)")
            }
        }
    }

    /// An HTTP answer's verdict: 4xx with `field` naming the wrong value, or 2xx and stored as meant.
    mutating func check(_ c: ValueFuzz.Case, reply: (status: Int, body: String)?, amountField: String, timeField: String,
                        stored: (amount: Int, placedAt: Int)?, via: String) {
        guard let reply else { return unclear("\(via): no answer for \(c.amount.text) / \(c.placed.text)") }
        if reply.status >= 500 { return unclear("\(via): \(reply.status) for \(c.amount.text) / \(c.placed.text): \(reply.body.prefix(200))") }
        let json = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any]
        let refusal = reply.status >= 400 ? (json?["field"] as? String ?? "no field: \(reply.body.prefix(120))") : nil
        let renamed = refusal.map { $0 == amountField ? "amount" : $0 == timeField ? "placed_at" : $0 }
        check(c, refusal: renamed, stored: stored, via: via)
    }
}
