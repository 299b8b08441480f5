import Foundation
import HummingbirdBcrypt
import Testing

/// The console end to end in a real browser (Debian's chromium through chromedriver and
/// selenium, no download: SE_OFFLINE), against a real `carecron run` serving the API and the
/// console, on the basic scenario's day (its clock starts at 2026-12-01 08:00). The steps are in Tests/browser/console_e2e.py; the
/// screenshots of the main pages land in .build/console-screenshots (README: docs/screenshots).
@Suite("Console in a real browser")
struct ConsoleBrowserTests {
    @Test func aMarketerPlansEditsSavesAndTestsInChromium() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: apt-get install chromium chromium-driver (.ci/run does)")
            return
        }
        let gateway = try TestServer("http_server.py", ["--esms"])
        let folder = try TestSupport.shopFolder()
        let port = closedPort()
        for kind in ["customers", "orders"] {
            let r = try TestSupport.carecron(["import", kind, TestSupport.basicScenario.appendingPathComponent("\(kind).csv").path], in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
        try "k3y\n".write(to: folder.appendingPathComponent("esms.key"), atomically: true, encoding: .utf8)
        let url = folder.appendingPathComponent("config.json")
        var c = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        c["senders"] = ["esms": ["type": "sms-http", "url": "\(gateway.url)/send", "successPath": "CodeResult", "successValue": "100", "idPath": "SMSID",
                                 "apiKey": ["file": "esms.key"],
                                 "body": "{\"ApiKey\": {{{json.secrets.apiKey}}}, \"Phone\": {{{json.phoneLocal}}}, \"Content\": {{{json.text}}}}"],
                        "file": ["type": "file", "path": "var/sent.jsonl"]]
        c["channels"] = ["sms": "esms", "email": "file", "zalo": "file"]
        c["http"] = ["listen": "127.0.0.1:\(port)", "token": ["env": "API_TOKEN"]]
        c["console"] = ["users": ["lan": ["role": "editor", "passwordHash": Bcrypt.hash("lan-mat-khau-1", cost: 6)],
                                  "minh": ["role": "viewer", "passwordHash": ["env": "MINH_HASH"]]],
                        "testRecipients": ["0912 000 999"]]
        try JSONSerialization.data(withJSONObject: c, options: [.prettyPrinted]).write(to: url)
        let original = try String(contentsOf: folder.appendingPathComponent("jobs/payment-reminder.json"), encoding: .utf8)

        let log = folder.appendingPathComponent("service.log")
        // The scenario's day, at real pace: the plan of 2026-12-01 is still ahead of the service.
        let service = try TestSupport.start(["run", "--clock-start", "2026-12-01T08:00:00+07:00"], in: folder, environment: [
            "API_TOKEN": "t0k3n", "MINH_HASH": Bcrypt.hash("minh-mat-khau-2", cost: 6)], log: log)
        defer { kill(service.processIdentifier, SIGKILL); service.waitUntilExit() }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("console served") { usleep(100_000) }
        usleep(300_000)

        let shots = TestSupport.packageRoot.appendingPathComponent(".build/console-screenshots")
        let browser = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["python3", TestSupport.packageRoot.appendingPathComponent("Tests/browser/console_e2e.py").path,
                                           "http://127.0.0.1:\(port)", shots.path],
                                          in: folder, environment: ["LAN_PASSWORD": "lan-mat-khau-1", "MINH_PASSWORD": "minh-mat-khau-2", "SE_OFFLINE": "true"])
        let serviceLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(browser.status == 0, "browser steps:\n\(browser.stdout)\n\(browser.stderr.suffix(3000))\nservice log:\n\(serviceLog.suffix(3000))")
        #expect(!browser.stdout.contains("FAIL"))

        // What the browser did, seen from outside: the file on disk, its history, the reload, the gateway.
        let saved = try String(contentsOf: folder.appendingPathComponent("jobs/payment-reminder.json"), encoding: .utf8)
        #expect(saved != original && saved.contains("{{customer.salutation}} oi, don hang {{#orders}}"))
        let history = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("jobs/.history/payment-reminder").path)
        #expect(history.count == 1 && history[0].hasSuffix("-lan.json"))
        #expect(try String(contentsOf: folder.appendingPathComponent("jobs/.history/payment-reminder/\(history[0])"), encoding: .utf8) == original)
        #expect(serviceLog.contains("configuration reloaded"), "the running service took the saved file")
        let sent = try gateway.requests().compactMap { $0["body"] as? String }
        #expect(sent.contains { $0.contains("\"Phone\": \"0912000999\"") && $0.contains("Chi Lan oi, don hang D01") }, "\(sent)")
        for page in ["plan", "customer", "message", "editor-error", "editor-diff", "test-send", "jobs", "audit"] {
            #expect(FileManager.default.fileExists(atPath: shots.appendingPathComponent("\(page).png").path), "screenshot \(page)")
        }
    }
}
