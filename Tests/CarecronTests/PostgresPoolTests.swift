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
        // psql runs on a thread of its own: blocking one of the few threads the pools' own tasks
        // run on kept the old pool from closing for over a minute under the full suite.
        func backends() async throws -> Set<String> {
            let sql = "SELECT pid FROM pg_stat_activity WHERE datname = '\(settings.database)' AND pid <> pg_backend_pid()"
            let out = try await withCheckedThrowingContinuation { done in
                DispatchQueue.global().async { done.resume(with: Result { try TestPostgres.psql(settings, sql) }) }
            }
            return Set(out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let oldPools = try await backends()
        #expect(!oldPools.isEmpty)
        #expect(db.renewPool(grace: .seconds(2)))
        #expect(db.client !== old)
        #expect(!db.renewPool(grace: .seconds(2)), "no second renewal while the first pool is retiring")
        #expect(try await db.poolAnswers(within: .seconds(3)))
        #expect(try await slow.value == 7, "the query in flight on the old pool finished")
        let closedBy = ContinuousClock.now.advanced(by: .seconds(30))
        while try await !backends().isDisjoint(with: oldPools), ContinuousClock.now < closedBy { try await Task.sleep(for: .milliseconds(200)) }
        #expect(try await backends().isDisjoint(with: oldPools), "the old pool's connections closed after its grace")
        #expect(try await !backends().isEmpty, "the new pool's remain")
        await db.shutdown()
    }
}
