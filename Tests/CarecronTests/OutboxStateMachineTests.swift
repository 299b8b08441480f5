import CarecronDomain
@_spi(Testing) import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import Testing

/// The outbox's states and transitions (`OutboxStateMachine.swift`, issue 25): the table itself,
/// and both stores refusing what it forbids.
@Suite("Outbox state machine")
struct OutboxStateMachineTests {
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")

    @Test func theTableSaysWhereEachTransitionLeavesFromAndLeadsTo() {
        #expect(OutboxTransition.claim.from == [.planned, .failed] && OutboxTransition.claim.to == [.sending])
        #expect(OutboxTransition.handBack.to == [.planned, .failed])
        #expect(OutboxTransition.purge.from.allSatisfy(\.isFinished) && OutboxTransition.purge.to.isEmpty)
        // Every state but a finished one can be left; every state is reached by something (or is where a message starts).
        for state in OutboxState.allCases {
            let leaves = OutboxTransition.allCases.filter { $0.allows(from: state) && $0 != .purge && !$0.to.allSatisfy { $0 == state } }
            #expect(state.isFinished ? leaves.allSatisfy { [.retryByHand, .drop, .notDelivered].contains($0) } : !leaves.isEmpty, "\(state)")
            let reached = OutboxTransition.allCases.contains { $0.to.contains(state) && !$0.allows(from: state) }
            #expect(reached, "\(state) is reached")
        }
        // A message being sent is changed only by what its send decided.
        #expect(OutboxTransition.allCases.filter { $0.allows(from: .sending) }.count == 9)
        #expect(OutboxTransition.sent.refusal(of: 7, in: .planned) == OutboxTransitionRefused(transition: .sent, message: 7, state: .planned))
        #expect(OutboxTransition.sent.refusal(of: 7, in: .sending) == nil)
        #expect(OutboxTransition.dead.refusal(of: 7, in: nil)?.description == "message 7: no such message (dead)")
    }

    @Test func theGuardsAreTheSQLTheIndexesName() {
        // The claim and the purge run `INDEXED BY` partial indexes whose conditions are these texts.
        #expect(OutboxTransition.claim.sourceCondition == "state IN ('planned', 'failed')")
        #expect(OutboxTransition.purge.sourceCondition == "state IN ('sent', 'cancelled', 'dead')")
        #expect(OutboxTransition.resume.sourceCondition == "state = 'paused'")
        #expect(OutboxState.reachingCustomerCondition == "NOT (state IN ('dead', 'cancelled'))")
    }

    @Test func theClaimAndThePurgeNameTheirIndexesConditionsExactly() throws {
        let store = try Store(url: TestSupport.temporaryFolder("machine").appendingPathComponent("carecron.sqlite"))
        let indexes = try store.db.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                .map { ($0["name"] as String, $0["sql"] as String) })
        }
        #expect(indexes["outbox_claim"]?.hasSuffix("WHERE \(OutboxTransition.claim.sourceCondition)") == true, "\(indexes["outbox_claim"] ?? "")")
        #expect(indexes["outbox_finished"]?.hasSuffix("WHERE \(OutboxTransition.purge.sourceCondition)") == true, "\(indexes["outbox_finished"] ?? "")")
    }

    @Test(arguments: StoreUnderTest.implementations)
    func aTransitionTheMachineForbidsIsAnErrorAndChangesNothing(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        _ = try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"],
                                         clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        let sms = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)
        let entries = (1...2).map { i in
            OutboxEntry(keys: ["job:O\(i):1"], job: "job", customerId: "C1", orderIds: ["O\(i)"], reminder: 1, renderings: [sms, sms], dueAt: now)
        }
        _ = try await s.outbox.enqueue(entries, now: now)
        let planned = try await s.outbox.list(state: .planned, limit: 10).sorted { $0.id < $1.id }
        let first = planned[0], second = planned[1]

        // Never claimed: it cannot be sent or die.
        await #expect(throws: OutboxTransitionRefused(transition: .sent, message: first.id, state: .planned)) {
            try await s.outbox.markSent(first.id, providerId: "p", at: now)
        }
        await #expect(throws: OutboxTransitionRefused(transition: .dead, message: first.id, state: .planned)) {
            try await s.outbox.markDead(first.id, error: "x", now: now)
        }
        // The dispatcher's own hand-back and fallback change only what it is sending.
        #expect(try await !s.outbox.fallBack(first, error: "x", now: now), "a message not being sent does not fall back")
        try await s.outbox.unclaim(first.id)
        await #expect(throws: OutboxTransitionRefused(transition: .retryLater, message: 999_999, state: nil)) {
            try await s.outbox.markRetry(999_999, error: "x", at: now, now: now)
        }
        #expect(try await s.outbox.message(first.id)?.state == .planned, "a refused change changes nothing")

        // Sent once, it is never marked again, and a group of outcomes passes a stale one over.
        let claimed = try await s.outbox.claimDue(now: now, limit: 10)
        #expect(claimed.count == 2)
        try await s.outbox.markSent(first.id, providerId: "p-1", at: now)
        await #expect(throws: OutboxTransitionRefused(transition: .retryLater, message: first.id, state: .sent)) {
            try await s.outbox.markRetry(first.id, error: "late timeout", at: now, now: now)
        }
        try await s.outbox.record([.dead(first.id, error: "stale", now: now), .sent(second.id, providerId: "p-2", at: now)])
        let stays = try await s.outbox.message(first.id)
        #expect(stays?.state == .sent && stays?.providerMessageId == "p-1", "a stale outcome is passed over")
        #expect(try await s.outbox.message(second.id)?.state == .sent)
        #expect(try await !s.outbox.drop(first.id, now: now), "a sent message cannot be dropped")
        #expect(try await s.outbox.retry(ids: [first.id], now: now) == 0, "nor put back in line")
    }
}
