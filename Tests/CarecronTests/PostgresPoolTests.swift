import CarecronConfig
@testable import CarecronPostgres
import Foundation
import Testing

/// After an outage PostgresNIO's pool retries with a backoff that grows to a minute; the node
/// renews it when it stays silent while a connection of its own reaches the server.
@Suite("PostgreSQL: the pool after an outage")
struct PostgresPoolTests {
    @Test func thePoolIsRenewedOnlyWhenItStaysSilentWhileTheServerAnswers() async {
        var watch = PoolWatch()
        #expect(await !watch.look(poolAnswered: false, serverAnswered: true), "one miss is not enough (a busy pool)")
        #expect(await watch.look(poolAnswered: false, serverAnswered: true), "the second running: renew")
        #expect(watch.misses == 0)
        #expect(await !watch.look(poolAnswered: false, serverAnswered: true))
        #expect(await !watch.look(poolAnswered: true, serverAnswered: true), "an answer in between starts the count again")
        #expect(await !watch.look(poolAnswered: false, serverAnswered: true))
        for _ in 0..<5 { #expect(await !watch.look(poolAnswered: false, serverAnswered: false), "the server is down: not the pool's fault") }
        #expect(await !watch.look(poolAnswered: false, serverAnswered: true))
        var asked = false
        _ = await watch.look(poolAnswered: true, serverAnswered: { asked = true; return true }())
        #expect(!asked, "a pool that answers costs no extra connection")
    }

    /// A renewed pool takes the next query at once; what the old one was running finishes on it,
    /// and it closes after its grace.
    @Test func aRenewedPoolServesAtOnceAndTheOldOneFinishesItsWork() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let db = try await TestPostgres.open(settings)
        let old = db.client
        let slow = Task { () -> Int32 in
            for try await v in try await old.query("SELECT 7 FROM pg_sleep(1)", logger: db.logger).decode(Int32.self) { return v }
            return 0
        }
        try await Task.sleep(for: .milliseconds(200))
        db.renewPool(grace: .seconds(2))
        #expect(db.client !== old)
        #expect(try await db.poolAnswers(within: .seconds(3)))
        #expect(try await slow.value == 7, "the query in flight on the old pool finished")
        let closedBy = ContinuousClock.now.advanced(by: .seconds(10))
        while try TestPostgres.psql(settings, "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(settings.database)' AND pid <> pg_backend_pid()")
            .trimmingCharacters(in: .whitespacesAndNewlines) != "1", ContinuousClock.now < closedBy {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try TestPostgres.psql(settings, "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(settings.database)' AND pid <> pg_backend_pid()")
            .trimmingCharacters(in: .whitespacesAndNewlines) == "1", "the old pool's connections closed; the new pool's one remains")
        await db.shutdown()
    }
}
