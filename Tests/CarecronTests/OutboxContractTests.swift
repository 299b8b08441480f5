import CarecronDomain
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// The outbox's contract (`OutboxStore`), the same tests against the SQLite outbox and the
/// leased PostgreSQL one (issue 15). Messages here belong to no customer, so that the outbox is
/// tested on its own.
@Suite("Outbox contract, SQLite and PostgreSQL")
struct OutboxContractTests {
    static let implementations = ["sqlite", "postgres"]
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")

    func make(_ name: String) async throws -> any OutboxStore {
        switch name {
        case "sqlite":
            return Outbox(store: try Store(url: TestSupport.temporaryFolder("outbox-contract").appendingPathComponent("carecron.sqlite")))
        default:
            return LeasedOutbox(try await TestPostgres.open(try await TestPostgres.freshDatabase()))
        }
    }

    func entry(_ i: Int, due: Date, priority: Int = 0, job: String = "job") -> OutboxEntry {
        OutboxEntry(keys: ["\(job):O\(i):1"], job: job, customerId: nil, orderIds: ["O\(i)"], reminder: 1,
                    renderings: [Rendering(channel: "sms", to: "+8491234567\(i % 10)", subject: nil, text: "tin \(i)", params: [:], templateId: nil),
                                 Rendering(channel: "email", to: "lan\(i)@example.vn", subject: "Đơn", text: "thư \(i)", params: [:], templateId: nil)],
                    dueAt: due, priority: priority)
    }

    @Test(arguments: implementations)
    func claimsTakeTheMostUrgentFirstAndEachMessageOnce(_ name: String) async throws {
        let o = try await make(name)
        let added = try await o.enqueue([entry(1, due: now, priority: 2, job: "birthday"), entry(2, due: now.addingTimeInterval(-60)),
                                         entry(3, due: now), entry(4, due: now.addingTimeInterval(60))], now: now)
        #expect(added == [true, true, true, true])
        #expect(try await o.enqueue([entry(3, due: now)], now: now) == [false], "an occurrence is planned once")
        let first = try await o.claimDue(now: now, limit: 2)
        #expect(first.map(\.key) == ["job:O2:1", "job:O3:1"], "transactional before advertising, then by due time")
        #expect(first.allSatisfy { $0.state == .sending && $0.attempts == 1 })
        #expect(try await o.claimDue(now: now, limit: 10).map(\.key) == ["birthday:O1:1"], "the rest; the future one waits")
        #expect(try await o.claimDue(now: now, limit: 10).isEmpty)
        #expect(try await o.nextDue() == now.addingTimeInterval(60))
    }

    @Test(arguments: implementations)
    func outcomesMoveMessagesAndAreCounted(_ name: String) async throws {
        let o = try await make(name)
        _ = try await o.enqueue((0..<5).map { entry($0, due: now) }, now: now)
        let c = try await o.claimDue(now: now, limit: 5).sorted { $0.id < $1.id }
        try await o.record([.sender(c[0].id, name: "hook"), .sent(c[0].id, providerId: "p-0", at: now),
                            .retry(c[1].id, error: "429", next: now.addingTimeInterval(90.2), now: now),
                            .dead(c[2].id, error: "rejected", now: now), .cancelled(c[3].id, reason: "order paid", now: now)])
        try await o.unclaim(c[4].id)
        #expect(try await o.counts() == [.sent: 1, .failed: 1, .dead: 1, .cancelled: 1, .planned: 1])
        let sent = try #require(try await o.message(c[0].id))
        #expect(sent.state == .sent && sent.providerMessageId == "p-0" && sent.sender == "hook" && sent.sentAt == now)
        #expect(try await o.message(c[1].id)?.nextAttemptAt == now.addingTimeInterval(91), "a retry is never due before its time")
        #expect(try await o.claimDue(now: now.addingTimeInterval(90), limit: 10).map(\.id) == [c[4].id], "handed back, the attempt not counted")
        #expect(try await o.list(state: .dead, limit: 10).map(\.id) == [c[2].id])
        #expect(try await o.retry(ids: nil, now: now) == 1, "the dead one back in line")
        #expect(try await o.drop(c[2].id, now: now))
        #expect(try await o.message(c[2].id)?.state == .cancelled)
        #expect(try await o.lastPlannedByJob()["job"]?.1 == 5)
        #expect(try await o.countsByJob(since: now.addingTimeInterval(-1))["job"]?[.sent] == 1)
    }

    @Test(arguments: implementations)
    func aPermanentFailureFallsBackToTheNextChannel(_ name: String) async throws {
        let o = try await make(name)
        _ = try await o.enqueue([entry(7, due: now)], now: now)
        let m = try #require(try await o.claimDue(now: now, limit: 1).first)
        #expect(m.rendering.channel == "sms" && m.fallbacks.map(\.channel) == ["email"])
        #expect(try await o.fallBack(m, error: "number unreachable", now: now))
        let again = try #require(try await o.claimDue(now: now, limit: 1).first)
        #expect(again.id == m.id && again.rendering.channel == "email" && again.fallbacks.isEmpty && again.attempts == 1)
        #expect(again.lastError?.contains("falling back to email") == true)
        #expect(try await o.fallBack(again, error: "bounced", now: now) == false, "no channel left")
    }
}
