import CarecronDomain
import Foundation

public enum ImportKind: String, Sendable, CaseIterable {
    case customers, orders
}

public struct ImportReport: Sendable, Equatable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    public var skipped = 0
    /// `FILE:LINE: field: reason`, in file order.
    public var problems: [String] = []
    /// Set when --strict refused the whole file.
    public var rolledBack = false

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0, skipped: Int = 0, problems: [String] = [], rolledBack: Bool = false) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
        self.skipped = skipped
        self.problems = problems
        self.rolledBack = rolledBack
    }

    public var summary: String {
        let counts = "\(inserted) inserted, \(updated) updated, \(unchanged) unchanged, \(skipped) skipped"
        return rolledBack ? "nothing imported (--strict): \(skipped) bad rows; would have been \(counts)" : counts
    }
}

public struct ImportFailure: CodedError, CustomStringConvertible {
    public var code: ErrorCode { .importRefused }
    public let description: String
    public init(_ d: String) { description = d }
}
