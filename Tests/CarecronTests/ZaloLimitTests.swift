import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// Zalo's rules at writing time (issue 27, item 4): a ZNS template's parameters declare their
/// Zalo type (or the template's `listParams` is given); `validate` renders every variant for
/// the sample customers and refuses a value over its type's limit; the sender refuses one too.
@Suite("Zalo's parameter limits")
struct ZaloLimitTests {
    /// The shop's payment reminder sent by Zalo first, its parameters typed as given.
    func shop(zalo: [String: Any]) throws -> URL {
        let dir = try TestSupport.shopFolder()
        let url = dir.appendingPathComponent("jobs/payment-reminder.json")
        var job = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        job["channels"] = ["zalo", "sms"]
        job["templates"] = (job["templates"] as! [[String: Any]]).map { v in
            var v = v
            v["zalo"] = zalo
            return v
        }
        try JSONSerialization.data(withJSONObject: job, options: [.prettyPrinted]).write(to: url)
        return dir
    }

    @Test func validateRefusesANameLongerThanZaloAllows() throws {
        let dir = try shop(zalo: ["templateId": "231456", "params": ["customer_name": "{{customer.fullName}}", "order_code": "{{order.id}}"],
                                  "paramTypes": ["customer_name": "name", "order_code": "code"]])
        let run = try TestSupport.carecron(["validate"], in: dir)
        #expect(run.status != 0)
        #expect(run.stdout.contains("jobs/payment-reminder.json: templates[0].zalo.params.customer_name: 'Công Tôn Nữ Thị Thanh Hương Giang' is 33 characters; Zalo allows 30 for a customer name"),
                "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains("order_code"), "an order code fits")

        // The given name fits: validate passes.
        let fine = try shop(zalo: ["templateId": "231456", "params": ["customer_name": "{{customer.givenName}}"], "paramTypes": ["customer_name": "name"]])
        let ok = try TestSupport.carecron(["validate"], in: fine)
        #expect(!ok.stdout.contains("zalo.params"), "\(ok.stdout)")

        let typo = try shop(zalo: ["templateId": "231456", "params": ["customer_name": "{{customer.givenName}}"], "paramTypes": ["customer_name": "ten", "note": "code"]])
        let said = try TestSupport.carecron(["validate"], in: typo).stdout
        #expect(said.contains("\"ten\" is not a Zalo parameter type") && said.contains("parameter note is not among this Zalo template's \"params\""), "\(said)")
    }

    /// The limits as Zalo's own template information gives them (`listParams`, saved beside config.json).
    @Test func theTemplatesOwnListParamsGiveTheLimits() throws {
        let dir = try shop(zalo: ["templateId": "231456", "params": ["customer_name": "{{customer.salutation}}", "items": "{{#orders}}{{items}}, {{/orders}}"],
                                  "templateParams": "zalo/231456.json"])
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("zalo"), withIntermediateDirectories: true)
        let info = #"{"error":0,"message":"Success","data":{"templateId":231456,"templateName":"Nhắc thanh toán","status":"ENABLE","listParams":[{"name":"customer_name","require":true,"type":"STRING","maxLength":30,"minLength":0,"acceptNull":false},{"name":"items","require":true,"type":"STRING","maxLength":20,"minLength":0,"acceptNull":false}]}}"#
        try info.write(to: dir.appendingPathComponent("zalo/231456.json"), atomically: true, encoding: .utf8)
        let run = try TestSupport.carecron(["validate"], in: dir)
        #expect(run.stdout.contains("templates[0].zalo.params.items: 'Kem chống nắng x2, Son dưỡng môi x1, ' is 37 characters; Zalo allows 20 for items"), "\(run.stdout)")
        #expect(!run.stdout.contains("params.customer_name"))
        try "{}".write(to: dir.appendingPathComponent("zalo/231456.json"), atomically: true, encoding: .utf8)
        #expect(try TestSupport.carecron(["validate"], in: dir).stdout.contains("has no \"listParams\""))
    }

    /// A real customer's name the samples did not foresee: the sender refuses it in words, and
    /// the message goes by SMS instead; Zalo never has it.
    @Test func theSenderRefusesAnOverlongValueBeforeZaloDoes() async throws {
        let zalo = try TestServer("http_server.py", ["--zalo"])
        let shop = try DeliveryShop(senders: ["zns": ["type": "zalo-zns", "baseURL": zalo.url, "accessToken": ["env": "ZALO_TOKEN"]],
                                              "file": ["type": "file", "path": "var/sent.jsonl"]],
                                    channels: ["zalo": "zns", "sms": "file"])
        var first = Rendering(channel: "zalo", to: "+84912345678", subject: nil, text: "tin",
                              params: ["customer_name": "Công Tôn Nữ Thị Thanh Hương Giang"], templateId: "231456")
        first.paramLimits = ["customer_name": ZaloParamLimit(.name)]
        try shop.enqueueReminder(renderings: [first, Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "SMS", params: [:], templateId: nil)])
        let report = try await shop.dispatcher(environment: ["ZALO_TOKEN": "t"]).drain()
        #expect(report.sent == 1 && report.fellBack == 1, "\(report)")
        #expect(try zalo.requests().isEmpty, "Zalo never had it")
        let m = try #require(try shop.outbox.list(state: .sent).first)
        #expect(m.rendering.channel == "sms")
        #expect(m.fallbackNote?.contains("'Công Tôn Nữ Thị Thanh Hương Giang' is 33 characters; Zalo allows 30 for a customer name") == true, "\(m.fallbackNote ?? "")")

        let alone = try DeliveryShop(senders: ["zns": ["type": "zalo-zns", "baseURL": zalo.url, "accessToken": ["env": "ZALO_TOKEN"]]], channels: ["zalo": "zns"])
        try alone.enqueueReminder(renderings: [first])
        _ = try await alone.dispatcher(environment: ["ZALO_TOKEN": "t"]).drain()
        let dead = try #require(try alone.outbox.list(state: .dead).first)
        #expect(FailureMeaning.of(dead)?.sentence.code == "failure.zalo_param_long" && FailureMeaning.of(dead)?.permanent == true, "\(dead.lastError ?? "")")
    }
}
