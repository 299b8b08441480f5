import CarecronConfig
import CarecronDomain
@_spi(Bench) import CarecronSQLite
import CarecronStorage
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `carecron bench receipts` (issue 27, item 6): a real `carecron run` hears eSMS's delivery
/// reports from wrk — each request a different message's `SMSID` — for a few seconds; every
/// receipt must change its own row once (the rows delivered equal the requests answered, the
/// per-channel count the same), and a replay of them changes nothing. Then an opt-out reply
/// ("TC QC") to the short code: how long from its arrival until the customer's queued
/// advertising is cancelled.
public struct ReceiptsBench {
    public let figures: Figures
    public let source: URL
    let binary = carecronBinary

    public init(figures: Figures, source: URL) {
        self.figures = figures
        self.source = source
    }

    public func run(messages: Int, connections: Int, seconds: Int) throws {
        guard let wrk = which("wrk") else { throw BenchError("wrk not found (apt-get install wrk): it sends the receipts") }
        let shop = try BenchShop(from: source)
        defer { shop.remove() }
        let port = freePort()
        try shop.enableAPI(port: port, tokenVariable: "BENCH_TOKEN")
        try shop.configure(senders: ["esms": ["type": "sms-http", "url": "http://127.0.0.1:9/send", "body": "{}", "receiptToken": ["env": "BENCH_RECEIPTS"],
                                              "cpid": "CP01", "moPrivateKey": ["env": "BENCH_MO"]]],
                           channels: ["zalo": "esms", "sms": "esms", "email": "esms"])
        let store = try Store(url: shop.database)
        try store.fillWithSentMessages(messages, endingAt: Date(), sender: "esms")
        let clock = ConfigLoader.load(shop.config).config?.clock ?? ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!
        _ = try store.upsert(.customers, ["id": "B1", "full_name": "Trần Thị Lan", "phone": "0912345678"], clock: clock, holdFor: .hours(24), now: Date())
        let ad = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "QC", params: [:], templateId: nil)
        _ = try Outbox(store: store).enqueue(keys: ["birthday:B1:bench"], job: "birthday", customerId: "B1", orderIds: [], reminder: nil,
                                             renderings: [ad], dueAt: Date().addingTimeInterval(3600), now: Date())

        let child = try Child(binary, ["run", "--config", shop.config.path],
                              environment: ["BENCH_TOKEN": "t0k3n", "BENCH_RECEIPTS": "r3c", "BENCH_MO": "m0"],
                              stderr: shop.folder.appendingPathComponent("run.log").path)
        defer { child.signal(SIGTERM); _ = child.wait(seconds: 30) }
        guard waitUntilReady(port: port) else { throw BenchError("carecron run never answered /readyz: \(shop.folder.path)/run.log") }

        // Each wrk thread walks its own ids (thread t sends p(t), p(t + threads), …): every request a different message.
        let threads = 2
        let script = shop.folder.appendingPathComponent("receipts.lua")
        try """
            local next_thread = 0
            function setup(thread) thread:set("first", next_thread); next_thread = next_thread + 1 end
            local n = -1
            function request()
              n = n + 1
              local id = (first + n * \(threads)) % \(messages)
              return wrk.format("GET", "/webhooks/receipts/esms?token=r3c&SMSID=p" .. id .. "&SendStatus=5&SendSuccess=1&SendFailed=0&TypeId=2&telcoid=1")
            end
            """.write(to: script, atomically: true, encoding: .utf8)
        let (w, out, err) = try runToEnd(wrk, ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "-s", script.path, "http://127.0.0.1:\(port)"])
        guard w.status == 0, let rateLine = out.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
              let rate = Double(rateLine.split(separator: " ").last ?? ""),
              let totalLine = out.split(separator: "\n").first(where: { $0.contains(" requests in ") }),
              let total = Int(totalLine.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else {
            throw BenchError("wrk: \(out) \(err)")
        }
        let failed = out.split(separator: "\n").first { $0.contains("Non-2xx") }.map(String.init)
        guard total < messages else { throw BenchError("wrk sent \(total) receipts for \(messages) messages: give --messages more than \(total)") }
        let delivered = try store.countDelivered()
        figures.record("receipts_rate", rate.rounded(), "receipts/s")
        figures.record("receipts_connections", Double(connections), "connections")
        figures.record("receipts_answered", Double(total), "receipts")
        figures.record("receipts_rows_delivered", Double(delivered.rows), "messages")
        // wrk counts the requests it sent; one cut off at its deadline may or may not have reached the server.
        let lost = total - delivered.rows
        figures.record("receipts_lost_or_twice", Double(abs(lost) > connections ? abs(lost) : 0), "receipts")
        if let failed { print("wrk: \(failed)") }
        guard delivered.rows == delivered.counted, failed == nil, abs(lost) <= connections else {
            throw BenchError("receipts: \(total) answered, \(delivered.rows) rows delivered, \(delivered.counted) counted\(failed.map { "; \($0)" } ?? "")")
        }

        // The opt-out: eSMS's MO call, signed; from its sending until the birthday greeting is cancelled.
        let smsid = "mo-bench", content = "TC QC", time = "20261207100000"
        let sign = Data(Insecure.MD5.hash(data: Data(("CP01" + smsid + content + time + "m0").utf8))).base64EncodedString()
        var c = URLComponents(string: "http://127.0.0.1:\(port)/webhooks/inbound/esms")!
        c.queryItems = [("sender", "84912345678"), ("content", content), ("smsid", smsid), ("cpid", "CP01"), ("receiverTime", time), ("sign", sign)]
            .map { URLQueryItem(name: $0.0, value: $0.1) }
        c.percentEncodedQuery = c.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let started = Date()
        _ = try Data(contentsOf: c.url!)
        var cancelledAt: Date?
        while cancelledAt == nil, Date().timeIntervalSince(started) < 10 {
            if try Outbox(store: store).planned(keys: ["birthday:B1:bench"])["birthday:B1:bench"]?.state == .cancelled { cancelledAt = Date() }
        }
        guard let cancelledAt else { throw BenchError("the opt-out did not cancel the queued advertising within 10 s") }
        figures.record("optout_to_cancelled_ms", (cancelledAt.timeIntervalSince(started) * 1000).rounded(), "ms")
    }

    func waitUntilReady(port: Int) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let data = try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/readyz")!), !data.isEmpty { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }
}
