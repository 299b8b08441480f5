import Foundation

/// Where "now" comes from: the system's clock in the service and the commands, a simulated one
/// in tests. Library code asks a `WallClock` it was given, never `Date()` itself.
public struct WallClock: Sendable {
    public let now: @Sendable () -> Date

    public init(_ now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = WallClock { Date() }

    /// A clock that reads `start` now and then runs at the system clock's pace: a rehearsal of a
    /// given day with real waits (tests of the real service on a scenario's day).
    public static func starting(at start: Date) -> WallClock {
        let offset = start.timeIntervalSince(system.now())
        return WallClock { system.now().addingTimeInterval(offset) }
    }
}

extension Duration {
    /// In seconds, for figures printed as "0.25 s".
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
