import CarecronDomain
import CarecronStorage
import Foundation

// The SQLite store under the storage contract (`CarecronStorage`): what each requirement maps to here.

extension Store: CareStore {
    public var outbox: any OutboxStore { Outbox(store: self) }
    public func platformOrders(clock: ShopClock, holdFor: TimeSpan) -> any PlatformOrderStore {
        PlatformOrders(store: self, clock: clock, holdFor: holdFor)
    }
    public var location: String { url.path }

    public func importFile(_ file: ImportFile, strict: Bool, clock: ShopClock, holdFor: TimeSpan, now: Date,
                           progress: (@Sendable (Int, Int) -> Void)?) throws -> ImportReport {
        try Importer(store: self, clock: clock, holdFor: holdFor, now: WallClock { now }, progress: progress).run(file, strict: strict)
    }

    public func explain(_ error: any Error) -> String { StoreFile.explain(error, url) }
    public func isDamage(_ error: any Error) -> Bool { StoreFile.isDamage(error) }

    public func planningInput(from: Date, to: Date, lookback: TimeInterval, holdFor: TimeInterval, checkinDays: ClosedRange<Int>, clock: ShopClock,
                              ordersFromPlacement: Bool, overdueOrders: Bool) throws -> PlanningInput {
        try PlanningQueries(store: self).input(from: from, to: to, lookback: lookback, holdFor: holdFor, checkinDays: checkinDays, clock: clock,
                                               ordersFromPlacement: ordersFromPlacement, overdueOrders: overdueOrders)
    }
}

extension Outbox: OutboxStore {
    /// The instance lock keeps every other process away: a claim holds until this one ends.
    public func stillHolds(_ id: Int64) -> Bool { true }
}
extension PlatformOrders: PlatformOrderStore {}
