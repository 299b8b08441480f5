import CarecronStorage
import GRDB

/// A big import into a small table builds the table's secondary indexes once at the end
/// instead of keeping them row by row: SQLite sorts a whole index faster than it places a
/// million entries at random in one that does not fit its cache (at a million customers, 1.6 s
/// of the 6.4 s SQLite alone needs). Dropped and re-created inside the import's transaction,
/// so a failure or `--strict` leaves them exactly as they were.
struct DeferredIndexes {
    private let definitions: [String]

    init(_ table: String, expectedRows: Int, db: Database) throws {
        guard expectedRows >= ImportFile.bulkRows else { definitions = []; return }
        let present = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM \(table) LIMIT ?)", arguments: [expectedRows]) ?? 0
        guard ImportFile.rebuildsIndexes(expectedRows: expectedRows, present: present) else { definitions = []; return }
        let indexes = try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL
            """, arguments: [table])
        definitions = indexes.map { $0["sql"] }
        for index in indexes { try db.execute(sql: "DROP INDEX \((index["name"] as String).quotedDatabaseIdentifier)") }
    }

    func restore(_ db: Database) throws {
        for sql in definitions { try db.execute(sql: sql) }
    }
}
