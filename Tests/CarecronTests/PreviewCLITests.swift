import Foundation
import Testing

/// simulate and preview, the marketers' dry-run, through the real binary on the demo shop.
@Suite("Simulate and preview")
struct PreviewCLITests {
    func demoShop() throws -> URL {
        let dir = try TestSupport.shopFolder()
        let r = try TestSupport.carecron(["demo"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    @Test func tableIsAReadableTimeline() throws {
        let dir = try demoShop()
        let r = try TestSupport.carecron(["simulate", "--from", "2026-12-01T00:00:00+07:00", "--to", "2026-12-01T12:01:00+07:00"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("2026-12-01 12:00  payment-reminder #1"))
        #expect(r.stdout.contains("D01/C001") && r.stdout.contains("sms +84912345678"))
        #expect(r.stdout.contains("    Chi Lan oi, don D01 (450.000d)"))
    }

    @Test func downSpansShowLatenessAndCatchUp() throws {
        let dir = try demoShop()
        let r = try TestSupport.carecron(["simulate", "--from", "2026-12-01T00:00:00+07:00", "--to", "2026-12-02T00:00:00+07:00",
                                          "--format", "jsonl", "--job", "payment-reminder",
                                          "--down", "2026-12-01T11:50:00+07:00/2026-12-01T12:30:00+07:00"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let d01 = r.stdout.split(separator: "\n").filter { $0.contains("\"orderId\":\"D01\"") }
        #expect(d01.first?.contains("\"at\":\"2026-12-01T12:30:00+07:00\"") == true, "30 minutes late, within lateness")
        #expect(d01.count == 2 && d01[1].contains("\"at\":\"2026-12-01T16:00:00+07:00\""), "the second still 3 h after the first")
    }

    /// `--explain` adds a line per decision (`kind: "skip"`, `reason`); without it, nothing changes.
    @Test func explainListsWhatIsNotSentAndWhy() throws {
        let dir = try demoShop()
        let args = ["simulate", "--from", "2026-12-01T00:00:00+07:00", "--to", "2026-12-03T00:00:00+07:00", "--format", "jsonl"]
        let plain = try TestSupport.carecron(args, in: dir), explained = try TestSupport.carecron(args + ["--explain"], in: dir)
        #expect(plain.status == 0 && explained.status == 0, "\(explained.stderr)")
        let lines = explained.stdout.split(separator: "\n").map(String.init)
        let skips = lines.filter { $0.contains("\"kind\":\"skip\"") }
        #expect(skips.allSatisfy { $0.contains("\"reason\":\"") })
        #expect(skips.contains { $0.contains("\"at\":\"2026-12-01T12:00:00+07:00\"") && $0.contains("\"orderId\":\"D11\"")
            && $0.contains("reminder #1: order D11 was paid before the slot") }, "\(skips)")
        #expect(skips.contains { $0.contains("\"job\":\"birthday\"") && $0.contains("opted out of marketing") }, "\(skips)")
        #expect(lines.filter { !$0.contains("\"kind\":\"skip\"") } == plain.stdout.split(separator: "\n").map(String.init),
                "the events sent are the same, explained or not")
        let table = try TestSupport.carecron(["simulate", "--from", "2026-12-01T00:00:00+07:00", "--to", "2026-12-02T00:00:00+07:00", "--explain"], in: dir)
        #expect(table.stdout.contains("payment-reminder (not sent) D11/C011") && table.stdout.contains("    - reminder #1: order D11 was paid before the slot"),
                "\(table.stdout)")
    }

    @Test func simulateChangesNothing() throws {
        let dir = try demoShop()
        let db = dir.appendingPathComponent("var/carecron.sqlite")
        let before = try Data(contentsOf: db)
        _ = try TestSupport.carecron(["simulate", "--from", "2026-12-01T00:00:00+07:00", "--to", "2026-12-03T00:00:00+07:00"], in: dir)
        _ = try TestSupport.carecron(["preview", "--at", "2026-12-01T12:00:00+07:00"], in: dir)
        #expect(try Data(contentsOf: db) == before)
        let wal = try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("var/carecron.sqlite-wal").path)
        #expect((wal?[.size] as? Int ?? 0) == 0, "nothing written")
    }

    @Test func previewShowsWhatGoesOutAtAnInstantWithSegments() throws {
        let dir = try demoShop()
        let r = try TestSupport.carecron(["preview", "payment-reminder", "--at", "2026-12-01T12:00:00+07:00", "--format", "jsonl"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 4, "D01, D02, D10, D12 at noon")
        #expect(lines.allSatisfy { $0.contains("\"segments\":") && $0.contains("\"encoding\":\"GSM-7\"") })
    }

    @Test func previewSampleRendersEveryVariantOnEveryChannel() throws {
        let dir = try TestSupport.shopFolder()
        let r = try TestSupport.carecron(["preview", "payment-reminder", "--sample", "--format", "jsonl"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.contains { $0.contains("\"reminder\":2") && $0.contains("\"channel\":\"email\"") })
        #expect(lines.contains { $0.contains("\"reminder\":1") && $0.contains("\"channel\":\"sms\"") && $0.contains("Chi Lan oi") })
        let unknown = try TestSupport.carecron(["preview", "payment-remnder", "--sample"], in: dir)
        #expect(unknown.status != 0 && unknown.stderr.contains("did you mean payment-reminder?"))
    }

    @Test func simulateWithoutADatabaseSaysWhatToDo() throws {
        let dir = try TestSupport.shopFolder()
        let r = try TestSupport.carecron(["simulate", "--from", "2026-12-01", "--to", "2026-12-02"], in: dir)
        #expect(r.status == 1 && r.stderr.contains("import customers and orders first"))
    }
}
