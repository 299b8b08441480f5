import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// The ops' commands around delivery, through the real binary.
@Suite("Outbox and senders commands", .serialized)
struct OutboxCLITests {
    @Test func shippedSenderExamplesValidateAndBadSettingsAreNamed() throws {
        let dir = try TestSupport.shopFolder()
        let url = dir.appendingPathComponent("config.json")
        var c = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var examples = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("systemd/senders.example.json"))) as! [String: Any]
        examples["console"] = ["type": "console"]
        c["senders"] = examples
        try JSONSerialization.data(withJSONObject: c).write(to: url)
        let ok = try TestSupport.carecron(["validate"], in: dir)
        #expect(ok.status == 0, "\(ok.stdout)")
        examples["crm"] = ["type": "webhook", "url": "ftp://nowhere"]
        c["senders"] = examples
        try JSONSerialization.data(withJSONObject: c).write(to: url)
        let bad = try TestSupport.carecron(["validate"], in: dir)
        #expect(bad.status == 1 && bad.stdout.contains("config.json: senders.crm: url: \"ftp://nowhere\" is not an http(s) URL"))
    }

    @Test func listRetryAndDrop() async throws {
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "http://127.0.0.1:\(closedPort())/x", "maxAttempts": 1]],
                                    channels: ["sms": "hook"])
        try shop.enqueueReminder()
        try shop.enqueueReminder("payment-reminder:D02:1", order: "D02", customer: "C002")
        let send = try TestSupport.carecron(["outbox", "send"], in: shop.folder)
        #expect(send.stdout.contains("dead 2"), "\(send.stdout)\(send.stderr)")
        #expect(send.stderr.contains("to=+8491****678"), "phones are masked in logs")
        #expect(!send.stderr.contains("+84912345678"))
        let list = try TestSupport.carecron(["outbox", "list", "--state", "dead", "--format", "jsonl"], in: shop.folder)
        #expect(list.stdout.split(separator: "\n").count == 2 && list.stdout.contains("\"to\":\"+8491****678\""))
        let ids = try shop.outbox.list(state: .dead).map(\.id).sorted()
        let retry = try TestSupport.carecron(["outbox", "retry", String(ids[0])], in: shop.folder)
        #expect(retry.status == 0 && retry.stdout.contains("1 message(s) back in line"))
        let drop = try TestSupport.carecron(["outbox", "drop", String(ids[0])], in: shop.folder)
        #expect(drop.status == 0)
        #expect(try shop.outbox.message(ids[0])?.state == .cancelled)
        let all = try TestSupport.carecron(["outbox", "retry", "--dead"], in: shop.folder)
        #expect(all.stdout.contains("1 message(s) back in line"))
        let neither = try TestSupport.carecron(["outbox", "retry"], in: shop.folder)
        #expect(neither.status != 0)
    }

    @Test func sendersTestSendsOneMessageAndPrintsTheOutcome() throws {
        let server = try TestServer("http_server.py", ["--esms"])
        let shop = try DeliveryShop(senders: ["esms": ["type": "sms-http", "url": "\(server.url)/send", "successPath": "CodeResult",
                                                       "successValue": "100", "idPath": "SMSID", "apiKey": ["env": "K"],
                                                       "body": "{\"ApiKey\": {{{json.secrets.apiKey}}}, \"Phone\": {{{json.phoneLocal}}}, \"Content\": {{{json.text}}}}"]],
                                    channels: ["sms": "esms"])
        let r = try TestSupport.carecron(["senders", "test", "esms", "--to", "0912 345 678"], in: shop.folder, environment: ["K": "key"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("esms → +8491****678: sent"))
        let body = try JSONSerialization.jsonObject(with: Data((try server.requests()[0]["body"] as! String).utf8)) as! [String: String]
        #expect(body["Phone"] == "0912345678" && body["ApiKey"] == "key")
        let missing = try TestSupport.carecron(["senders", "test", "esms", "--to", "0912345678"], in: shop.folder)
        #expect(missing.status == 1 && missing.stderr.contains("environment variable K is not set"))
        #expect(!missing.stderr.contains("key\""), "no secret in the output")
    }

    /// Issue 27: a ZNS template is tested in Zalo's development mode (it reaches the OA's
    /// administrators only); the phone goes as 84…; a normal test send has no mode.
    @Test func aZaloTestSendUsesDevelopmentModeWhenAsked() throws {
        let server = try TestServer("http_server.py", ["--zalo"])
        let shop = try DeliveryShop(senders: ["zns": ["type": "zalo-zns", "baseURL": server.url, "accessToken": ["env": "ZT"]]], channels: ["zalo": "zns"])
        let dev = try TestSupport.carecron(["senders", "test", "zns", "--to", "0912345678", "--template", "7895417a7d3f9461cd2e", "--zalo-dev"],
                                           in: shop.folder, environment: ["ZT": "token"])
        #expect(dev.status == 0 && dev.stdout.contains("zns → +8491****678: sent"), "\(dev.stdout)\(dev.stderr)")
        let normal = try TestSupport.carecron(["senders", "test", "zns", "--to", "0912345678", "--template", "7895417a7d3f9461cd2e"],
                                              in: shop.folder, environment: ["ZT": "token"])
        #expect(normal.status == 0)
        let bodies = try server.requests().map { try JSONSerialization.jsonObject(with: Data(($0["body"] as! String).utf8)) as! [String: Any] }
        #expect(bodies.count == 2 && bodies[0]["mode"] as? String == "development" && bodies[1]["mode"] == nil)
        #expect(bodies.allSatisfy { $0["phone"] as? String == "84912345678" }, "Zalo takes 84…")
    }
}
