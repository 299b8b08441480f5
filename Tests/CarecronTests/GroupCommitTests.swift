@testable import CarecronDelivery
import CarecronDomain
@_spi(Testing) import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import Logging
import Testing

/// The dispatcher's outcomes committed in groups (issue 14), on a real SQLite file: sends that
/// finish while a commit is on its way share the next one, and none returns before its own
/// outcome is durable.
@Suite("Group commit")
struct GroupCommitTests {
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")

    func storeWithClaimed(_ n: Int) throws -> (Store, [OutboxMessage]) {
        let store = try Store(url: TestSupport.temporaryFolder().appendingPathComponent("carecron.sqlite"))
        let outbox = Outbox(store: store)
        for i in 0..<n {
            _ = try outbox.enqueue(keys: ["g:\(i)"], job: "bench", customerId: nil, orderIds: [], reminder: nil,
                                   renderings: [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "\(i)", params: [:], templateId: nil)],
                                   dueAt: now, now: now)
        }
        return (store, try outbox.claimDue(now: now, limit: n))
    }

    /// Synchronously, on the caller's thread (an async caller would get GRDB's async variant).
    static func execute(_ sql: String, on queue: DatabaseQueue) throws {
        try queue.writeWithoutTransaction { try $0.execute(sql: sql) }
    }

    @Test func outcomesThatArriveDuringACommitShareTheNextOne() async throws {
        let (store, claimed) = try storeWithClaimed(40)
        let group = GroupCommit(Outbox(store: store))
        // Another process holds the write lock: the first commit waits on it while the other
        // 39 outcomes arrive.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true  // the lock stays held between the two accesses
        let other = try DatabaseQueue(path: store.url.path, configuration: holding)
        try Self.execute("BEGIN IMMEDIATE", on: other)
        // Released from a plain thread: the waiting commit may hold a cooperative one meanwhile.
        let sentWhileHeld = NSLock(), released = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var countWhileHeld = -1
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            let seen = try? DatabaseQueue(path: store.url.path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'sent'") }
            sentWhileHeld.withLock { countWhileHeld = seen ?? -1 }
            try? Self.execute("ROLLBACK", on: other)
            released.signal()
        }
        let outcomes = Task {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for m in claimed {
                    tasks.addTask { try await group.record([.sender(m.id, name: "webhook"), .sent(m.id, providerId: "p\(m.id)", at: self.now)]) }
                }
                try await tasks.waitForAll()
            }
        }
        try await outcomes.value
        released.wait()
        #expect(sentWhileHeld.withLock { countWhileHeld } == 0, "nothing is recorded while the lock is held")
        // Every caller has returned: every outcome is in the file, seen from a new connection.
        let reader = try DatabaseQueue(path: store.url.path)
        #expect(try await reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND sender = 'webhook'") } == 40)
        // The first outcomes' commit waits for the lock; those that arrive meanwhile share the
        // next (two, unless the machine is slow enough to spread them over a few).
        #expect(await group.commits < 10, "40 outcomes, a handful of commits")
    }

    /// Issue 24, item 4: a commit the store refuses is held and tried again, never dropped: its
    /// callers wait until it is recorded, or stop waiting once their dispatcher stops, the
    /// outcomes still held, in memory and in the journal.
    @Test func aRefusedCommitIsHeldUntilTheStoreTakesIt() async throws {
        let (store, claimed) = try storeWithClaimed(3)
        let journal = try OutcomeJournal(path: store.url.path + ".outcomes", storeId: try #require(try store.storeId()))
        let group = GroupCommit(Outbox(store: store), journal: journal, retryDelays: (0.05, 0.2))
        try await store.db.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE UPDATE OF state ON outbox BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        }
        let stopping = StopSwitch()
        // The first caller's dispatcher stops: it is told its outcome is held.
        await #expect(throws: GroupCommit.OutcomeHeld.self) {
            async let stop: Void = { try? await Task.sleep(nanoseconds: 300_000_000); stopping.flip() }()
            try await group.record([.sent(claimed[0].id, providerId: "p0", at: self.now)], while: { !stopping.isOn })
            await stop
        }
        #expect(journal.held() == [.sent(claimed[0].id, providerId: "p0", at: now)], "kept where a restart finds it")
        // The others wait until the store takes them, with the first.
        let waiting = Task {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for m in claimed.dropFirst() { tasks.addTask { try await group.record([.sent(m.id, providerId: "p\(m.id)", at: self.now)]) } }
                try await tasks.waitForAll()
            }
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(try await store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'sending'") } == 3)
        try await store.db.write { try $0.execute(sql: "DROP TRIGGER refuse") }
        try await waiting.value
        #expect(try await store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'sent'") } == 3)
        #expect(journal.held().isEmpty, "the journal is emptied once they are recorded")
        #expect(await group.heldCount == 0)
    }

    /// A journal is applied only to its own database, and only to messages still on their way.
    @Test func aJournalIsAppliedToItsOwnDatabaseAndToMessagesStillSending() async throws {
        let (store, claimed) = try storeWithClaimed(2)
        let id = try #require(try store.storeId())
        let path = store.url.path + ".outcomes"
        let stale = OutboxOutcome.sent(claimed[0].id, providerId: "old", at: now)
        let journal = try OutcomeJournal(path: path, storeId: id)
        #expect(journal.hold([stale, .dead(claimed[1].id, error: "x", now: now)]))
        // Another database under the same name (restored, or made anew): not applied.
        let other = try OutcomeJournal(path: path, storeId: "0123456789abcdef")
        #expect(other.contents() == .otherDatabase(id))
        // Its own: applied where the message is still sending; a message that moved on keeps its state.
        try Outbox(store: store).record([.retry(claimed[1].id, error: "later", next: now, now: now)])
        let dispatcher = Dispatcher(store: store, senders: [:], channels: [:], jobs: [], log: Logger(label: "test"), journal: journal)
        #expect(try await dispatcher.recordHeldOutcomes() == 2)
        let states = try await store.db.read { try [Int64: String](uniqueKeysWithValues: Row.fetchAll($0, sql: "SELECT id, state FROM outbox").map { ($0[0], $0[1]) }) }
        #expect(states == [claimed[0].id: "sent", claimed[1].id: "failed"], "the retry recorded since is not overwritten")
        #expect(journal.held().isEmpty)
        // Torn by a crash mid-write: said, and nothing applied.
        let fd = open(path, O_WRONLY)
        _ = "99999 \(id)".withCString { pwrite(fd, $0, strlen($0), 0) }
        close(fd)
        #expect(journal.contents() == .torn)
    }
}

/// A flag a test turns on from another task.
final class StopSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var on = false
    var isOn: Bool { lock.withLock { on } }
    func flip() { lock.withLock { on = true } }
}
