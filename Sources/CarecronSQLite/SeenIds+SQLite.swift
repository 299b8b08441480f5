import CarecronStorage
import GRDB

extension SeenIds {
    /// The first column of every row of `sql` (the ids of a table), read without a String each.
    static func all(_ sql: String, db: Database) throws -> SeenIds {
        var ids = SeenIds(capacity: 1 << 16)
        var statement = try BoundStatement(db, sql: sql)
        try statement.forEachText { _ = ids.insert($0) }
        return ids
    }
}
