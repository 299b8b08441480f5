@testable import CarecronService
import Foundation
import Testing

/// When a node plans from: its own start, or the moment it took planning over from another node
/// (issue 15), from which it replays what the last planner had not planned.
@Suite("Planning tenure")
struct PlanningTenureTests {
    let up = Date(timeIntervalSince1970: 1_764_554_400)

    @Test func aNodeLeadingFromItsStartPlansFromItsStart() {
        var t = PlanningTenure(upSince: up)
        let took1 = t.update(leads: true, now: up.addingTimeInterval(1))
        #expect(!took1, "the start-up's own catch-up covers it")
        #expect(t.since == up)
        let took2 = t.update(leads: true, now: up.addingTimeInterval(60))
        #expect(!took2)
        #expect(t.since == up)
    }

    @Test func aNodeTakingOverPlansFromTheTakeOver() {
        var t = PlanningTenure(upSince: up)
        let took3 = t.update(leads: false, now: up.addingTimeInterval(1))
        #expect(!took3)
        let took4 = t.update(leads: false, now: up.addingTimeInterval(30))
        #expect(!took4)
        let took5 = t.update(leads: true, now: up.addingTimeInterval(45))
        #expect(took5, "took over")
        #expect(t.since == up.addingTimeInterval(45))
        let took6 = t.update(leads: true, now: up.addingTimeInterval(60))
        #expect(!took6, "still leading: no second take-over")
        let took7 = t.update(leads: false, now: up.addingTimeInterval(90))
        #expect(!took7, "lost it")
        let took8 = t.update(leads: true, now: up.addingTimeInterval(120))
        #expect(took8, "and took it over again")
        #expect(t.since == up.addingTimeInterval(120))
    }
}
