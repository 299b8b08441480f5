@_spi(Testing) import CarecronSQLite
import Foundation
import GRDB
import Testing

/// The SQLite store commits with `synchronous = FULL` (issue 30, item 2: "synchronous=FULL
/// kept"): GRDB's own default in WAL mode is NORMAL, under which a commit the outbox counts on
/// could be lost at a power cut.
@Suite("The SQLite store's durability")
struct StoreDurabilityTests {
    @Test func theWriterSyncsTheLogAtEveryCommit() throws {
        let store = try Store(url: TestSupport.temporaryFolder("durability").appendingPathComponent("carecron.sqlite"))
        #expect(try store.db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        #expect(try store.db.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }
}
