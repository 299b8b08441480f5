import CarecronDomain
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// `carecron migrate-store --to URL` (issue 15) through the real binary: an SQLite store with
/// customers, orders, messages in every state, keys, the audit log, copied into an empty
/// PostgreSQL database and read back through the PostgreSQL store.
@Suite("migrate-store")
struct MigrateStoreTests {
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")

    @Test func anSQLiteStoreMovesWholeIntoAnEmptyPostgreSQLDatabase() async throws {
        let folder = try TestSupport.shopFolder()
        for kind in ["customers", "orders"] {
            let run = try TestSupport.carecron(["import", kind, "demo/\(kind).csv"], in: folder)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let sqlite = try Store(url: folder.appendingPathComponent("var/carecron.sqlite"))
        let outbox = sqlite.outbox
        let rendering = [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "Chị Lan ơi, đơn của chị", params: [:], templateId: nil)]
        for i in 0..<4 {
            _ = try await outbox.enqueue(keys: ["job:M\(i):1"], job: "job", customerId: nil, orderIds: [], reminder: 1, renderings: rendering,
                                     dueAt: now, now: now)
        }
        let claimed = try await outbox.claimDue(now: now, limit: 2).sorted { $0.id < $1.id }
        try await outbox.record([.sender(claimed[0].id, name: "gw")])
        try await outbox.markSent(claimed[0].id, providerId: "p-1", at: now)
        // claimed[1] stays `sending`: the service was stopped mid-send.
        try sqlite.record(AuditEntry(at: now, user: "lan", action: "save", subject: "jobs/birthday.json"))
        // After sending (issues 27, 28): a receipt, a reply, a survey's answer come along too.
        _ = try await outbox.record(DeliveryReceipt(sender: "gw", reference: .providerId("p-1"), status: .delivered, at: now), now: now)
        let reply = InboundReply(sender: "esms", channel: "sms", providerId: "mo-1", from: .phone("+84912345678"), text: "5 sao", at: now)
        _ = try await sqlite.record(reply, optOut: nil, now: now)
        _ = try await sqlite.recordSurveyAnswer(SurveyAnswer(job: "survey-csat", customerId: "C001", orderId: "D01", measure: .csat, score: 5, source: .reply,
                                                             answeredAt: now))
        let customers = try sqlite.customerCount()

        let settings = try await TestPostgres.freshDatabase()
        let url = "postgres://postgres@localhost:\(settings.port)/\(settings.database)?host=\(settings.socket!)"
        let run = try TestSupport.carecron(["migrate-store", "--to", url], in: folder)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("customers: \(customers)\n") && run.stdout.contains("outbox: 4\n") && run.stdout.contains("outbox_keys: 4\n")
                && run.stdout.contains("audit: 1\n") && run.stdout.contains("replies: 1\n") && run.stdout.contains("survey_answers: 1\n")
                && run.stdout.contains("delivery_counts: 1\n"), "\(run.stdout)")
        #expect(run.stdout.contains("every table counted on both sides"))

        let pg = PostgresStore(try await TestPostgres.open(settings))
        #expect(try await pg.customerCount() == customers)
        let lan = try #require(try sqlite.customerWithOrders(id: "C001"))
        let copied = try #require(try await pg.customerWithOrders(id: "C001"))
        #expect(copied.customer.facts.name.full == lan.customer.facts.name.full && copied.orders.map(\.id) == lan.orders.map(\.id))
        let messages = try await pg.outbox.list(state: nil, limit: 10)
        #expect(messages.count == 4)
        #expect(messages.first { $0.id == claimed[0].id }?.state == .sent)
        #expect(messages.first { $0.id == claimed[1].id }?.state == .failed, "caught mid-send: a retry with its idempotency key")
        #expect(try await pg.outbox.enqueue(keys: ["job:M0:1"], job: "job", customerId: nil, orderIds: [], reminder: 1,
                                            renderings: rendering, dueAt: now, now: now) == false, "the keys came along")
        #expect(try await pg.outbox.enqueue(keys: ["job:NEW:1"], job: "job", customerId: nil, orderIds: [], reminder: 1,
                                            renderings: rendering, dueAt: now, now: now), "new messages get new ids")
        #expect(try await pg.recent(limit: 5).map(\.user) == ["lan"])
        #expect(messages.first { $0.id == claimed[0].id }?.delivery == .delivered, "the receipt came along")
        #expect(try await pg.replies(customerId: nil, limit: 5).map(\.text) == ["5 sao"])
        #expect(try await pg.surveyAnswer(job: "survey-csat", customerId: "C001", orderId: "D01")?.score == 5)

        let again = try TestSupport.carecron(["migrate-store", "--to", url], in: folder)
        #expect(again.status == 1 && again.stderr.contains("already holds"), "an empty database only: \(again.stderr)")
        let bad = try TestSupport.carecron(["migrate-store", "--to", "postgres://postgres:secret@localhost/x"], in: folder)
        #expect(bad.status == 2 && bad.stderr.contains("--to: a password is never written"), "\(bad.stderr)")
        await pg.db.shutdown()
    }
}
