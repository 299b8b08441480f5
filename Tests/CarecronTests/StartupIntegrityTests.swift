import Foundation
import GRDB
import Testing

/// Issue 30, item 5: what the start-up integrity check reads scales with what changed since the
/// last clean stop, and a damaged file is still caught before anything is sent.
@Suite("The start-up integrity check")
struct StartupIntegrityTests {
    /// A running shop with an unpaid order whose reminder is due as soon as the reminder job is
    /// on; the job is off through the first run, so the store is sealed with the message unsent.
    static func sealedShopWithADueReminder() throws -> ServiceTests.Service {
        let s = try ServiceTests.Service()
        try s.editJob("payment-reminder") { $0["enabled"] = false }
        try s.start()
        let order = "{\"customer_id\": \"C001\", \"placed_at\": \"\(ServiceTests.placed(minutesAgo: 30))\", \"amount\": 450000}"
        #expect(try s.call("PUT", "/v1/orders/SEAL1", order).status == 201)
        try s.waitFor("the first integrity check") { s.logText.contains("read=the whole file") }
        #expect(s.stop() == 0)
        #expect(s.logText.contains("database sealed at a clean stop"), "\(s.logText.suffix(1500))")
        #expect(FileManager.default.fileExists(atPath: s.database.path + ".clean-stop"))
        try s.editJob("payment-reminder") { $0["enabled"] = true }
        return s
    }

    static func reminders(_ s: ServiceTests.Service) -> [[String: Any]] { s.sent().filter { $0["job"] as? String == "payment-reminder" } }

    @Test func aCleanStopLetsTheNextStartReadOnlyTheHeader() throws {
        let s = try Self.sealedShopWithADueReminder()
        try s.start()
        try s.waitFor("the reminder") { !Self.reminders(s).isEmpty }
        #expect(s.logText.contains("read=\"header and schema\"") || s.logText.contains("read=header and schema"), "\(s.logText.suffix(1500))")
        let status = try TestSupport.carecron(["status"], in: s.folder)
        #expect(status.stdout.contains("database: sound"), "\(status.stdout)")
        #expect(s.stop() == 0)
    }

    /// The first page of a table the sending path never reads: only the whole check can find it.
    static func damageWhatSendingNeverReads(_ s: ServiceTests.Service, keepingModificationTime: Bool) throws {
        var before = stat()
        stat(s.database.path, &before)
        try HostileTesterTests.damage("audit", in: s.database)
        if keepingModificationTime {
            // As `cp -p` or `rsync -t` would leave a replaced file: only the status-change time tells.
            var times = [before.st_atim, before.st_mtim]
            #expect(utimensat(AT_FDCWD, s.database.path, &times, 0) == 0)
        }
    }

    @Test(arguments: [false, true])
    func aFileDamagedWhileStoppedIsCaughtBeforeAnythingIsSent(keepingModificationTime: Bool) throws {
        let s = try Self.sealedShopWithADueReminder()
        try Self.damageWhatSendingNeverReads(s, keepingModificationTime: keepingModificationTime)
        try s.start()
        try s.waitFor("the integrity check") { s.logText.contains("the database is damaged") }
        #expect(try s.call("GET", "/readyz", token: nil).status == 503)
        #expect(Self.reminders(s).isEmpty, "nothing is sent from a damaged file")
        #expect(s.stop() == 0)
        #expect(s.logText.contains("the database is not sealed at this stop: it is damaged"), "\(s.logText.suffix(1500))")
    }

    @Test func afterACrashTheWholeFileIsReadBeforeSending() throws {
        let s = try Self.sealedShopWithADueReminder()
        try s.start()
        try s.waitFor("the reminder") { !Self.reminders(s).isEmpty }
        #expect(!FileManager.default.fileExists(atPath: s.database.path + ".clean-stop"), "a running service holds no seal")
        #expect(s.stop(SIGKILL) != 0)
        let log = s.logText
        try s.start()
        try s.waitFor("the integrity check") { s.logText.count > log.count && s.logText.dropFirst(log.count).contains("database integrity check passed") }
        #expect(s.logText.dropFirst(log.count).contains("read=the whole file"), "a crash breaks the chain of clean stops")
        #expect(s.stop() == 0)
    }

    /// A sealed file is read whole in the background once its last whole check is a week old
    /// (the service lives eight days later by its own clock).
    @Test func aWeekOldWholeCheckIsRepeatedInTheBackground() throws {
        let s = try Self.sealedShopWithADueReminder()
        try s.editJob("payment-reminder") { $0["enabled"] = false }
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(8 * 86_400))
        try s.start(arguments: ["run", "--clock-start", later])
        try s.waitFor("the background check") { s.logText.components(separatedBy: "database integrity check passed").count == 4 }
        #expect(s.logText.contains("the whole database was last checked 8 days ago"), "\(s.logText.suffix(1500))")
        #expect(s.stop() == 0)
        // The chain now starts from that check: the seal carries it.
        let seal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.database.path + ".clean-stop"))) as! [String: Any]
        #expect((seal["lastFullCheck"] as! Double) > Date().addingTimeInterval(7 * 86_400).timeIntervalSince1970)
    }
}
