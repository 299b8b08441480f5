import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

extension Store: MeasureSource {
    public func retention(from: Date, to: Date, within: TimeSpan) async throws -> RetentionCount {
        try await db.read { db in
            let row = try Row.fetchOne(db, sql: MeasureSQL.retention("?", "?", "?"),
                                       arguments: [Int64(from.timeIntervalSince1970), Int64(to.timeIntervalSince1970), within.seconds])
            return RetentionCount(buyers: row?[0] ?? 0, returned: row?[1] ?? 0)
        }
    }

    public func spendByTier() async throws -> [TierSpend] {
        try await db.read { db in
            try Row.fetchAll(db, sql: MeasureSQL.spendByTier).map { TierSpend(tier: $0[0], buyers: $0[1], revenue: $0[2]) }
        }
    }
}
