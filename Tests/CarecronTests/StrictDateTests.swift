import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// Issue 24, item 6: a day the calendar does not have is no date, wherever dates are read.
@Suite("Dates read strictly")
struct StrictDateTests {
    let clock = TestSupport.saigon

    @Test(arguments: [
        "2026-02-30T08:00:00+07:00", "2026-02-29T08:00:00Z", "2026-04-31T08:00:00+07:00", "2026-13-01T08:00:00+07:00",
        "2026-12-00T08:00:00+07:00", "2026-12-01T24:00:00+07:00", "2026-12-01T08:60:00+07:00", "2026-12-01T08:15:60+07:00",
        "2026-12-01T08:15:00+15:00", "2026-12-01T08:15:00-14:30", "2026-12-01T08:15:00+07:60", "2026-02-30", "2026-02-30 08:15",
        "2026-02-30T08:15:00.5+07:00", "2026-12-01T08:15:00+07:00junk", "2026-12-01+07:00", "20261201T081500Z", "",
        "2026-12-01T٠٨:٣٠:٠٠+07:00", "٢٠٢٦-١٢-٠١T08:30:00+07:00", "2026-12-01T08:30:00.٥+07:00",
    ])
    func aTimeThatDoesNotExistIsRefused(_ text: String) {
        #expect(InstantFormat.parse(text, clock: clock) == nil, "\(text)")
    }

    @Test(arguments: [
        ("2026-12-01T08:15:00+07:00", 1_796_087_700.0), ("2026-12-01T01:15:00Z", 1_796_087_700), ("2026-12-01T08:15+07:00", 1_796_087_700),
        ("2026-12-01 08:15:00+0700", 1_796_087_700), ("2026-12-01T08:15:00.250+07:00", 1_796_087_700.25), ("2026-12-01T08:15", 1_796_087_700),
        ("2026-12-01 08:15:00", 1_796_087_700), ("2026-12-01", 1_796_058_000), ("2024-02-29T00:00:00+07:00", 1_709_139_600),
        ("2026-12-01T15:15:00+14:00", 1_796_087_700), ("2026-11-30T13:15:00-12:00", 1_796_087_700),
    ])
    func everyFormExportsWriteReadsAsItsInstant(_ text: String, _ seconds: Double) {
        #expect(InstantFormat.parse(text, clock: clock)?.timeIntervalSince1970 == seconds, "\(text)")
    }

    @Test func importRowsAndJobFilesNameTheField() throws {
        let n = RowNormaliser(clock: clock)
        #expect(throws: FieldProblem.self) {
            try n.order(["id": "D1", "customer_id": "C1", "placed_at": "2026-02-30T08:00:00+07:00", "amount": "1"])
        }
        #expect(throws: FieldProblem.self) {
            try n.customer(["id": "C1", "full_name": "Lan", "birthday": "1990-02-30"])
        }
        // Another script's digits: a row error (the import crashed on it before issue 24's review).
        #expect(throws: FieldProblem.self) {
            try n.customer(["id": "C1", "full_name": "Lan", "birthday": "١٢/١٢/١٩٩٠"])
        }
        let dir = try TestSupport.shopFolder()
        let simulate = try TestSupport.carecron(["simulate", "--from", "2026-02-30T00:00:00+07:00", "--to", "2026-03-02T00:00:00+07:00"], in: dir)
        #expect(simulate.status != 0 && simulate.stderr.contains("2026-02-30"), "\(simulate.stderr)")
        let url = dir.appendingPathComponent("jobs/tet-greeting.json")
        var job = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        job["when"] = ["at": "2027-02-30T09:00"]
        try JSONSerialization.data(withJSONObject: job).write(to: url)
        let validate = try TestSupport.carecron(["validate"], in: dir)
        #expect(validate.status != 0 && validate.stdout.contains("tet-greeting.json: when.at: \"2027-02-30T09:00\" is not an instant"),
                "\(validate.stdout)")
    }
}
