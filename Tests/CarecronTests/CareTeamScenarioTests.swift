import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Crypto
import Foundation
import HummingbirdBcrypt
import Testing

/// `Tests/fixtures/care-team/`: a day of the care team worked out by hand (its README), asserted
/// exactly through `carecron simulate` and a real `carecron run`: three agents, the morning's
/// COD calls, a no-answer that falls back to SMS, a low score that becomes a call-back, a reply
/// answered late (issue 29, item 5).
@Suite("The care team's day, by hand")
struct CareTeamScenarioTests {
    static let fixture = TestSupport.packageRoot.appendingPathComponent("Tests/fixtures/care-team")

    static func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixture.appendingPathComponent(name))) as! [String: Any]
    }

    /// The shipped shop with the fixture's configuration, jobs, customers, orders and the low score.
    static func shop(gateway: TestServer, port: Int) async throws -> URL {
        let dir = try TestSupport.shopFolder()
        let shop = try json("shop.json")
        try "m0-k3y\n".write(to: dir.appendingPathComponent("esms-mo.key"), atomically: true, encoding: .utf8)
        try "k3y\n".write(to: dir.appendingPathComponent("esms.key"), atomically: true, encoding: .utf8)
        try TestSupport.editConfig(dir) { c in
            var console = shop["console"] as! [String: Any], users = console["users"] as! [String: Any]
            for (name, user) in users {
                var u = user as! [String: Any]
                u["passwordHash"] = Bcrypt.hash("\(name)-mat-khau", cost: 4)
                users[name] = u
            }
            console["users"] = users
            c["console"] = console
            c["calls"] = shop["calls"]
            c["senders"] = ["esms": ["type": "sms-http", "url": "\(gateway.url)/send", "successPath": "CodeResult", "successValue": "100", "idPath": "SMSID",
                                     "apiKey": ["file": "esms.key"], "cpid": "CP01", "moPrivateKey": ["file": "esms-mo.key"],
                                     "body": "{\"ApiKey\": {{{json.secrets.apiKey}}}, \"Phone\": {{{json.phoneLocal}}}, \"Content\": {{{json.text}}}}"],
                            "file": ["type": "file", "path": "var/sent.jsonl"]]
            c["channels"] = ["sms": "esms", "email": "file", "zalo": "file"]
            c["http"] = ["listen": "127.0.0.1:\(port)", "token": ["env": "API_TOKEN"]]
        }
        for (name, change) in try json("jobs.json") where !name.hasPrefix("$") {
            let file = dir.appendingPathComponent("jobs/\(name).json")
            var job = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
            for (k, v) in change as! [String: Any] { job[k] = v }
            try JSONSerialization.data(withJSONObject: job, options: [.prettyPrinted]).write(to: file)
        }
        for kind in ["customers", "orders"] {
            let r = try TestSupport.carecron(["import", kind, fixture.appendingPathComponent("\(kind).csv").path], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        _ = try await store.recordSurveyAnswer(SurveyAnswer(job: "survey-csat", customerId: "C6", orderId: "S6", measure: .csat, score: 1, source: .reply,
                                                            answeredAt: TestSupport.instant("2026-12-08T08:40:00+07:00")))
        return dir
    }

    @Test func theDayGoesAsWorkedOutByHand() async throws {
        let expected = try Self.json("expected.json")
        let gateway = try TestServer("http_server.py", ["--esms"])
        let port = closedPort()
        let dir = try await Self.shop(gateway: gateway, port: port)

        // The plan, exactly.
        let simulate = expected["simulate"] as! [String: Any]
        let run = try TestSupport.carecron(["simulate", "--from", simulate["from"] as! String, "--to", simulate["to"] as! String, "--format", "jsonl"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let planned = run.stdout.split(separator: "\n").compactMap { line -> String? in
            let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let o, ["cod-confirmation", "survey-follow-up"].contains(o["job"] as? String), o["kind"] as? String == "message" else { return nil }
            return "\(o["at"]!) \(o["job"]!) \(o["orderId"] ?? "-") \(o["channel"] ?? "-") \(o["to"] ?? "-")"
        }
        let wanted = (simulate["events"] as! [[String: String]]).map {
            "\(InstantFormat.format(TestSupport.instant($0["at"]!), clock: TestSupport.saigon)) \($0["job"]!) \($0["subject"]!) \($0["channel"]!) \($0["to"]!)"
        }
        #expect(planned == wanted, "simulate:\n\(planned.joined(separator: "\n"))")

        // The running service from 09:11:45.
        let log = dir.appendingPathComponent("service.log")
        let service = try TestSupport.start(["run", "--clock-start", expected["clockStart"] as! String], in: dir, environment: ["API_TOKEN": "t0k3n"], log: log)
        defer {
            kill(service.processIdentifier, SIGKILL)
            service.waitUntilExit()
        }
        func serviceLog() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        try TestSupport.waitUntilServing(port: port, log: log)

        // C7's reply, forwarded by eSMS with its own time (08:30).
        let reply = expected["reply"] as! [String: Any]
        try ESMSInbound.send(port: port, from: reply["from"] as! String, content: reply["text"] as! String, smsid: "mo-late",
                             time: reply["receiverTime"] as! String, key: "m0-k3y")

        // Four calls handed out (S3 at 09:12), each to the agent the rule says.
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        let day = CallQuery(agent: nil, day: LocalDate(year: 2026, month: 12, day: 8), clock: TestSupport.saigon)
        var deadline = Date().addingTimeInterval(90)
        while Date() < deadline, try await store.calls(day).count < 4 { usleep(200_000) }
        let calls = try await store.calls(day)
        let assigned = Set(calls.map { "\($0.orderIds.joined(separator: ",")) \($0.assignment.agent) \($0.assignment.rule.rawValue)" })
        let handAssigned = Set((expected["assigned"] as! [[String: String]]).map { "\($0["orders"]!) \($0["agent"]!) \($0["rule"]!)" })
        #expect(assigned == handAssigned, "\(assigned.sorted())\n\(serviceLog().suffix(2000))")

        func list(_ agent: String) throws -> [[String]] {
            let r = try TestSupport.carecron(["calls", "list", "--agent", agent, "--date", "2026-12-08", "--format", "csv"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").dropFirst().map { line in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return [f[7], f[10], f[11]]
            }
        }
        for (agent, orders) in expected["lists"] as! [String: [String]] {
            #expect(try list(agent).map { $0[0] } == orders, "\(agent)'s list in order")
        }

        // The reply waits past its time: counted overdue in /metrics.
        deadline = Date().addingTimeInterval(60)
        var metrics = ""
        while Date() < deadline, !metrics.contains("carecron_conversations_overdue 1") {
            metrics = (try? RawHTTP.send(port: port, "GET", "/metrics").body) ?? ""
            usleep(200_000)
        }
        #expect(metrics.contains("carecron_conversations_overdue 1") && metrics.contains("carecron_calls_open 4"), "\(metrics.split(separator: "\n").filter { $0.contains("carecron_c") })")

        // The outcomes, as a call centre's system posts them.
        let auth = [("Authorization", "Bearer t0k3n"), ("Content-Type", "application/json")]
        func call(_ order: String) throws -> Int64 { try #require(calls.first { $0.orderIds == [order] }).outboxId }
        func outcome(_ order: String, _ body: String) throws -> [String: Any] {
            let r = try RawHTTP.send(port: port, "POST", "/v1/calls/\(try call(order))/outcome", headers: auth, body: body)
            #expect(r.status == 200, "\(order): \(r.status) \(r.body)")
            return (try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]) ?? [:]
        }
        #expect(try outcome("S2", #"{"result":"no_answer"}"#)["state"] as? String == "open")
        let second = try outcome("S2", #"{"result":"no_answer"}"#)
        #expect(second["state"] as? String == "open" && (second["next_try_at"] as? String)?.hasPrefix("2026-12-08T11:1") == true, "2 hours on: \(second)")
        #expect(try outcome("S2", #"{"result":"no_answer"}"#)["state"] as? String == "done")
        #expect(try outcome("S1", #"{"result":"reached","rating":"5","note":"Chị Lan xác nhận"}"#)["state"] as? String == "done")
        #expect(try outcome("S6", #"{"result":"reached","note":"Chị Trang bị dị ứng, shop đổi sản phẩm khác"}"#)["state"] as? String == "done")
        let late = try RawHTTP.send(port: port, "POST", "/v1/calls/\(try call("S2"))/outcome", headers: auth, body: #"{"result":"reached"}"#)
        #expect(late.status == 409, "S2 is done: \(late.body)")

        // S2's SMS goes instead, once.
        let sms = expected["fallbackSMS"] as! [String: String]
        deadline = Date().addingTimeInterval(60)
        var sent: [String] = []
        while Date() < deadline, !sent.contains(where: { $0.contains(sms["contains"]!) }) {
            sent = try gateway.requests().compactMap { $0["body"] as? String }
            usleep(200_000)
        }
        #expect(sent.filter { $0.contains(sms["contains"]!) && $0.contains(sms["to"]!) }.count == 1, "\(sent)")
        for (agent, rows) in expected["afterOutcomes"] as! [String: [[String]]] {
            #expect(try list(agent) == rows, "\(agent)'s list after the outcomes")
        }

        // Hùng answers the late reply, then resolves it: the response time as worked out.
        let waiting = try RawHTTP.send(port: port, "GET", "/v1/conversations", headers: auth)
        let conversations = (try JSONSerialization.jsonObject(with: Data(waiting.body.utf8)) as? [String: Any])?["conversations"] as? [[String: Any]] ?? []
        let yen = try #require(conversations.first { $0["customer_id"] as? String == "C7" }, "\(waiting.body)")
        #expect(yen["agent"] as? String == reply["agent"] as? String && yen["overdue"] as? Bool == true)
        #expect(yen["opened_at"] as? String == ISO8601DateFormatter().string(from: TestSupport.instant(reply["opened"] as! String)))
        #expect(yen["due_at"] as? String == ISO8601DateFormatter().string(from: TestSupport.instant(reply["due"] as! String)))
        let id = yen["id"] as! Int
        let answered = try RawHTTP.send(port: port, "POST", "/v1/conversations/\(id)/answer", headers: auth,
                                        body: #"{"text":"Dạ đơn của chị giao chiều nay ạ","by":"hung"}"#)
        #expect(answered.status == 201, "\(answered.body)")
        let resolved = try RawHTTP.send(port: port, "POST", "/v1/conversations/\(id)/resolve", headers: auth,
                                        body: #"{"resolution":"Đã báo giờ giao","by":"hung"}"#)
        #expect(resolved.status == 200, "\(resolved.body)")
        let report = try TestSupport.carecron(["report", "--measures", "--from", "2026-12-08", "--to", "2026-12-08", "--format", "jsonl"], in: dir)
        let rows = report.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let response = try #require(rows.first { $0["measure"] as? String == "response_time" }, "\(report.stdout)\(report.stderr)")
        let minutes = (response["value"] as? Double ?? 0) / 60, range = reply["answeredAfterMinutes"] as! [Int]
        #expect(response["count"] as? Int == 1 && minutes >= Double(range[0]) && minutes <= Double(range[1]), "\(response)")
        let fcr = try #require(rows.first { $0["measure"] as? String == "fcr" })
        #expect(fcr["count"] as? Int == 1 && fcr["value"] as? Double == 1, "\(fcr)")
    }
}
