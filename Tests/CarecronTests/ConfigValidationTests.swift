import CarecronConfig
import CarecronDelivery
import CarecronDomain
import Foundation
import Testing

/// `carecron validate`'s checks, each on a copy of the shipped files with one mistake in it.
@Suite("Configuration and job validation")
struct ConfigValidationTests {
    /// Edits a JSON file of the copy as a dictionary.
    func edit(_ folder: URL, _ file: String, _ change: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent(file)
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: url)
    }

    func editRules(_ folder: URL, _ change: (inout [String: Any]) -> Void) throws {
        try edit(folder, "jobs/payment-reminder.json") { job in
            var rules = job["rules"] as! [String: Any]
            change(&rules)
            job["rules"] = rules
        }
    }

    func setFirstTemplate(_ folder: URL, job: String = "payment-reminder", key: String = "text", _ text: String) throws {
        try edit(folder, "jobs/\(job).json") { j in
            var templates = j["templates"] as! [[String: Any]]
            templates[0][key] = text
            j["templates"] = templates
        }
    }

    func problems(_ folder: URL) -> [String] {
        ConfigLoader.load(folder.appendingPathComponent("config.json")).diagnostics.map(\.description)
    }

    func expectProblem(_ folder: URL, _ parts: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        let all = problems(folder)
        #expect(all.contains { line in parts.allSatisfy { line.contains($0) } },
                "expected a problem with \(parts) in:\n\(all.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    @Test func shippedConfigurationIsClean() throws {
        let loaded = ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json"))
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(Set(loaded.jobs.map(\.type)) == Set(JobType.allCases), "a default job for every job type")
    }

    @Test func invalidJSONGivesLineAndColumn() throws {
        let dir = try TestSupport.shopFolder()
        try "{\n  \"type\": \"birthday\",\n  \"enabled\": true,\n}\n".write(to: dir.appendingPathComponent("jobs/birthday.json"), atomically: true, encoding: .utf8)
        expectProblem(dir, "jobs/birthday.json: $: invalid JSON at line 4, column 1", "trailing comma")
        try "{\"type\": \"birthday\" \"enabled\": true}".write(to: dir.appendingPathComponent("jobs/birthday.json"), atomically: true, encoding: .utf8)
        expectProblem(dir, "invalid JSON at line 1, column 21")
    }

    @Test func unknownKeyNearAKnownOneIsSuggested() throws {
        let dir = try TestSupport.shopFolder()
        try editRules(dir) { rules in
            var windows = rules["windows"] as! [[String: Any]]
            windows[1]["remidAt"] = windows[1].removeValue(forKey: "remindAt")
            rules["windows"] = windows
        }
        expectProblem(dir, "jobs/payment-reminder.json: rules.windows[1].remidAt: unknown key \"remidAt\"; did you mean remindAt?")
        expectProblem(dir, "rules.windows[1]: missing required key \"remindAt\"")
    }

    @Test func missingKeysAndBadTypes() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "jobs/birthday.json") { j in
            j.removeValue(forKey: "schedule")
            j["enabled"] = "yes"
            j["channels"] = ["sms", "fax"]
        }
        expectProblem(dir, "jobs/birthday.json: $: missing required key \"schedule\"")
        expectProblem(dir, "jobs/birthday.json: enabled: must be true or false, found a string")
        expectProblem(dir, "jobs/birthday.json: channels[1]: \"fax\" is not one of")
    }

    @Test func unknownTimeZone() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "config.json") { $0["timeZone"] = "Asia/Ho_Chi_Min" }
        expectProblem(dir, "config.json: timeZone: unknown time zone \"Asia/Ho_Chi_Min\"", "did you mean Asia/Ho_Chi_Minh?")
    }

    @Test func invalidSchedule() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "jobs/birthday.json") { $0["schedule"] = "0 25 * * *" }
        expectProblem(dir, "jobs/birthday.json: schedule: invalid schedule \"0 25 * * *\"", "hour")
    }

    @Test func overlappingAndGappedWindows() throws {
        let dir = try TestSupport.shopFolder()
        try editRules(dir) { rules in
            var windows = rules["windows"] as! [[String: Any]]
            windows[0]["to"] = "12:00"
            windows[3]["to"] = "04:00"
            rules["windows"] = windows
        }
        expectProblem(dir, "rules.windows", "overlap", "11:30–12:00")
        expectProblem(dir, "rules.windows", "gap", "04:00–05:00")
    }

    @Test func reminderSlotInsideQuietHours() throws {
        let dir = try TestSupport.shopFolder()
        try editRules(dir) { rules in
            var windows = rules["windows"] as! [[String: Any]]
            windows[3]["remindAt"] = "07:00"
            rules["windows"] = windows
        }
        expectProblem(dir, "rules.windows", "remindAt 07:00 is inside quiet hours 21:00–08:00")
    }

    @Test func templateThatDoesNotParseOrNamesAnUnknownVariable() throws {
        let dir = try TestSupport.shopFolder()
        try setFirstTemplate(dir, job: "order-expiry", "{{customer.salutation}} ơi {{#orders}} đơn")
        try setFirstTemplate(dir, job: "cod-confirmation", "{{customer.salutation}} ơi, đơn {{order.amout}}")
        expectProblem(dir, "jobs/order-expiry.json: templates[0].text: the section {{#orders}} opened at line 1, column 28 is never closed")
        expectProblem(dir, "jobs/cod-confirmation.json: templates[0].text: unknown variable {{order.amout}}", "did you mean {{order.amount}}?")
    }

    @Test func reminderMustShowTheNameInTheFirstSevenCharacters() throws {
        let dir = try TestSupport.shopFolder()
        try setFirstTemplate(dir, "{{shop.name}} xin chào {{customer.salutation}}, đơn {{order.id}} chờ thanh toán.")
        expectProblem(dir, "jobs/payment-reminder.json: templates[0].text: the customer's name must appear within the first 7 characters")
    }

    @Test func forbiddenWording() throws {
        let dir = try TestSupport.shopFolder()
        try setFirstTemplate(dir, job: "post-sale-checkin", "Thân gửi {{customer.givenName}}, sản phẩm bản thân thích là được.")
        expectProblem(dir, "jobs/post-sale-checkin.json: templates[0].text: uses the forbidden phrase")
        expectProblem(dir, "jobs/post-sale-checkin.json: templates[0].text: addresses the customer as \"Thân\"")
    }

    @Test func advertisingSMSNeedsLabelAndOptOut() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "jobs/birthday.json") { j in
            var templates = j["templates"] as! [[String: Any]]
            templates[0]["sms"] = "Chuc mung sinh nhat {{customer.salutation}}! Tang {{tier.gift}}."
            j["templates"] = templates
        }
        expectProblem(dir, "jobs/birthday.json: templates[0].sms: an advertising SMS must start with [QC]")
        expectProblem(dir, "jobs/birthday.json: templates[0].sms: an advertising SMS must end with how to opt out")
    }

    @Test func giftsMakeAMessageAdvertising() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "jobs/birthday.json") { $0["purpose"] = "care" }
        expectProblem(dir, "jobs/birthday.json: purpose: a message with a gift, voucher or discount is advertising")
    }

    @Test func secretsAreNeverWrittenInConfig() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "config.json") { c in
            var senders = c["senders"] as! [String: Any]
            senders["esms"] = ["type": "sms-http", "url": "http://127.0.0.1:9/send", "apiKey": "ABC123"]
            senders["zns"] = ["type": "zalo-zns", "accessToken": ["env": "ZALO_TOKEN"]]
            c["senders"] = senders
        }
        expectProblem(dir, "config.json: senders.esms.apiKey: secrets are never written into config.json")
        #expect(!problems(dir).contains { $0.contains("senders.zns") })
    }

    /// The console's users: a role, and a bcrypt hash (never a password); test recipients normalised.
    @Test func consoleUsersNeedARoleAndAHashNotAPassword() throws {
        let dir = try TestSupport.shopFolder()
        let hash = "$2b$12$" + String(repeating: "a", count: 53)
        try edit(dir, "config.json") { c in
            c["console"] = ["users": ["lan": ["role": "editor", "passwordHash": hash],
                                      "minh": ["role": "viewr", "passwordHash": ["env": "MINH_HASH"]],
                                      "tam": ["role": "viewer", "passwordHash": "hunter2"]],
                            "testRecipients": ["0912 345 678", "lan@example.vn", "12345"]]
        }
        expectProblem(dir, "config.json: console.users.minh.role: \"viewr\" is not one of viewer, editor", "did you mean viewer?")
        expectProblem(dir, "config.json: console.users.tam.passwordHash: must be a bcrypt hash", "carecron console passwd USER")
        expectProblem(dir, "config.json: console.testRecipients[2]", "\"12345\" is neither a Vietnamese phone number")
        try edit(dir, "config.json") { c in
            c["console"] = ["users": ["lan": ["role": "editor", "passwordHash": hash],
                                      "minh": ["role": "viewer", "passwordHash": ["env": "MINH_HASH"]]],
                            "testRecipients": ["0912 345 678", "lan@example.vn"]]
        }
        let console = try #require(ConfigLoader.load(dir.appendingPathComponent("config.json")).config).console
        let users = console.users.sorted { $0.name < $1.name }
        #expect(users.map { "\($0.name) \($0.role)" } == ["lan editor", "minh viewer"])
        #expect(users[0].passwordHash == .literal(hash) && users[1].passwordHash == .secret(.env("MINH_HASH")))
        #expect(console.testRecipients == ["+84912345678", "lan@example.vn"])
    }

    @Test func secretsResolveFromEnvironmentFileAndCredential() throws {
        let dir = TestSupport.temporaryFolder()
        try "s3cret\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        #expect(try SecretRef.env("T").resolve(relativeTo: dir, environment: ["T": "x"]) == "x")
        #expect(try SecretRef.file("token").resolve(relativeTo: dir, environment: [:]) == "s3cret")
        #expect(try SecretRef.credential("token").resolve(relativeTo: dir, environment: ["CREDENTIALS_DIRECTORY": dir.path]) == "s3cret")
        #expect(throws: SecretRef.Missing.self) { try SecretRef.env("NOPE").resolve(relativeTo: dir, environment: [:]) }
    }

    @Test func channelWithoutSenderAndUnknownSenderType() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "config.json") { c in
            c["channels"] = ["sms": "consol"]
            c["senders"] = ["console": ["type": "console"], "pigeon": ["type": "carrier-pigeon"]]
        }
        expectProblem(dir, "config.json: channels.sms: no sender named \"consol\"", "did you mean console?")
        expectProblem(dir, "config.json: senders.pigeon.type: unknown sender type \"carrier-pigeon\"")
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let dir = try TestSupport.shopFolder()
        try edit(dir, "jobs/birthday.json") { $0["schedule"] = "bad" }
        try edit(dir, "jobs/tier-upgrade.json") { $0["enabled"] = 1 }
        let all = problems(dir)
        #expect(all.contains { $0.contains("jobs/birthday.json: schedule:") })
        #expect(all.contains { $0.contains("jobs/tier-upgrade.json: enabled:") })
    }
}
