import Foundation

/// Where "now" comes from: the system's clock in the service and the commands, a simulated one
/// in tests. Library code asks a `WallClock` it was given, never `Date()` itself.
public struct WallClock: Sendable {
    public let now: @Sendable () -> Date

    public init(_ now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = WallClock { Date() }
}

extension Duration {
    /// In seconds, for figures printed as "0.25 s".
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
