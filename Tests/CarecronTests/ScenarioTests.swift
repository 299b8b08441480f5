import Foundation
import Testing

/// `../shared/scenarios/basic/`, run as a new user would (README of the scenarios), with the
/// shipped config.json and jobs/: the simulation must produce exactly the expected events.
@Suite("Acceptance scenarios")
struct ScenarioTests {
    struct Event: Hashable, CustomStringConvertible {
        let job: String, subject: String, reminder: Int?, at: Int
        var description: String { "\(job) \(subject) #\(reminder.map(String.init) ?? "-") @\(at)" }
    }

    static func events(_ jsonl: String, jobs: Set<String>) throws -> Set<Event> {
        var out = Set<Event>()
        for line in jsonl.split(separator: "\n") where !line.isEmpty {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let job = o["job"] as! String
            guard jobs.contains(job) else { continue }
            let at = TestSupport.instant(o["at"] as! String)
            out.insert(Event(job: job, subject: (o["orderId"] as? String) ?? (o["customerId"] as! String),
                             reminder: o["reminder"] as? Int, at: Int(at.timeIntervalSince1970)))
        }
        return out
    }

    @Test func basicScenarioPassesExactly() throws {
        let dir = try TestSupport.shopFolder()
        let scenario = TestSupport.basicScenario
        for kind in ["customers", "orders"] {
            let r = try TestSupport.carecron(["import", kind, scenario.appendingPathComponent("\(kind).csv").path], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let run = try TestSupport.carecron(["simulate", "--from", "2026-12-01T00:00:00+07:00", "--to", "2026-12-03T00:00:00+07:00",
                                            "--format", "jsonl"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let jobs: Set = ["payment-reminder", "order-expiry", "birthday"]
        let expected = try Self.events(String(contentsOf: scenario.appendingPathComponent("expected.jsonl"), encoding: .utf8), jobs: jobs)
        let actual = try Self.events(run.stdout, jobs: jobs)
        #expect(expected.count == 35)
        #expect(actual.subtracting(expected).sorted { $0.at < $1.at }.map(\.description) == [], "events that should not happen")
        #expect(expected.subtracting(actual).sorted { $0.at < $1.at }.map(\.description) == [], "events missing")
    }
}
