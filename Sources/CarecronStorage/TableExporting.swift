import Foundation

/// A stored value as it leaves a store for another (`carecron migrate-store`).
public enum ExportValue: Sendable, Equatable {
    case null, int(Int64), double(Double), text(String), blob(Data)
}

/// A store whose tables can be read out whole, a batch at a time, for another to take in.
public protocol TableExporting {
    /// Up to `limit` rows of `table` after the row whose cursor is `after`, each row's values in
    /// `columns` order, and the cursor to continue from: no batch rereads the ones before it.
    func exportRows(_ table: String, columns: [String], after: ExportValue?, limit: Int) throws -> (rows: [[ExportValue]], last: ExportValue?)
    func rowCount(_ table: String) throws -> Int
}
