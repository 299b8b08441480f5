@_spi(Testing) import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import Testing

/// The real `carecron` binary, run as a user would.
@Suite("Command line")
struct CLITests {
    @Test func validateShippedConfigurationSucceeds() throws {
        let r = try TestSupport.carecron(["validate"], in: TestSupport.packageRoot)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasPrefix("ok: 13 job(s)"))
    }

    @Test func validatePrintsEveryProblemAndFails() throws {
        let dir = try TestSupport.shopFolder()
        try "{\"type\": \"birthday\", \"enabled\": tru}".write(to: dir.appendingPathComponent("jobs/birthday.json"), atomically: true, encoding: .utf8)
        let r = try TestSupport.carecron(["validate", "--config", dir.appendingPathComponent("config.json").path], in: TestSupport.temporaryFolder())
        #expect(r.status == 1)
        #expect(r.stdout.contains("jobs/birthday.json: $: invalid JSON at line 1, column 33"))
    }

    @Test func configFromEnvironmentAndRelativeDatabasePath() throws {
        let dir = try TestSupport.shopFolder()
        let elsewhere = TestSupport.temporaryFolder()
        let r = try TestSupport.carecron(["demo"], in: elsewhere, environment: ["CARECRON_CONFIG": dir.appendingPathComponent("config.json").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("var/carecron.sqlite").path), "database next to config.json")
        #expect(r.stdout.contains("customers: 13 inserted"))
    }

    @Test func importReportsBadRowsOnStderrAndExitsNonZero() throws {
        let dir = try TestSupport.shopFolder()
        try "id,full_name,phone\nA1,Ngô Thị Ánh,0707654321\nA2,Mai Anh Tuấn,12\n".write(to: dir.appendingPathComponent("c.csv"), atomically: true, encoding: .utf8)
        let r = try TestSupport.carecron(["import", "customers", "c.csv"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("c.csv:3: phone: \"12\" has the wrong number of digits"))
        #expect(r.stdout.contains("customers: 1 inserted, 0 updated, 0 unchanged, 1 skipped"))
        let again = try TestSupport.carecron(["import", "customers", "c.csv", "--strict"], in: dir)
        #expect(again.status == 1 && again.stdout.contains("nothing imported (--strict)"))
    }

    @Test func importOfAMissingFileIsAClearError() throws {
        let dir = try TestSupport.shopFolder()
        let r = try TestSupport.carecron(["import", "orders", "nope.csv"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("nope.csv"))
    }

    @Test func scheduleListsInstantsLikeSystemdAnalyzeCalendar() throws {
        let r = try TestSupport.carecron(["schedule", "0 9 * * *", "--tz", "Europe/Berlin", "--from", "2026-03-28T12:00:00+01:00", "--count", "3"],
                                         in: TestSupport.temporaryFolder())
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "2026-03-29T09:00:00+02:00\n2026-03-30T09:00:00+02:00\n2026-03-31T09:00:00+02:00\n")
        let bad = try TestSupport.carecron(["schedule", "0 9 * *"], in: TestSupport.temporaryFolder())
        #expect(bad.status != 0 && bad.stderr.contains("5 fields"))
    }

    /// A SIGKILL in the middle of an import leaves nothing half-imported: the file is one transaction.
    @Test func killedImportLeavesNothingHalfDone() throws {
        let dir = try TestSupport.shopFolder()
        var csv = "id,full_name,gender,phone,email,birthday,zalo_user_id,tier,opt_out\n"
        for i in 0..<150_000 { csv += "K\(i),Khách Hàng \(i),female,09\(String(format: "%08d", i)),,1990-01-01,,,none\n" }
        try csv.write(to: dir.appendingPathComponent("big.csv"), atomically: true, encoding: .utf8)
        _ = try TestSupport.carecron(["demo"], in: dir)  // creates the database with 13 customers

        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = ["import", "customers", "big.csv"]
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until the import has written into the WAL, then kill it mid-transaction.
        let wal = dir.appendingPathComponent("var/carecron.sqlite-wal").path
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, p.isRunning {
            let size = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
            if size > 2_000_000 { break }
            usleep(5_000)
        }
        let killedMidway = p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(killedMidway, "the import finished before it could be killed; make the file bigger")

        let count = try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: dir)
        #expect(count.stdout.contains("13 unchanged"), "the store still opens and holds the demo customers")
        let rows = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"), readOnly: true)
            .db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM customers") }
        #expect(rows == 13, "none of the killed import's rows remain")
    }
}
