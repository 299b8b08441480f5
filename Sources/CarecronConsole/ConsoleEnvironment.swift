import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation

/// What the console works with: the store, the shop's current configuration and jobs (the
/// running service's, which a reload replaces), and the clock.
public struct ConsoleEnvironment: Sendable {
    public let store: any CareStore
    public let current: @Sendable () async -> (config: ShopConfig, jobs: [JobDefinition])
    public let clock: WallClock
    /// Served over TLS (by a proxy in front): the session cookie is then `Secure`.
    public let secureCookies: Bool
    /// After a job file is saved: the running service reloads, as at SIGHUP.
    public let reload: @Sendable () async -> Void
    /// After the console changed the outbox (a retry, a drop): the running service's dispatcher
    /// looks at it now rather than at its next planned wake-up.
    public let outboxChanged: @Sendable () async -> Void

    public init(store: any CareStore, clock: WallClock = .system, secureCookies: Bool = false,
                reload: @escaping @Sendable () async -> Void = {}, outboxChanged: @escaping @Sendable () async -> Void = {},
                current: @escaping @Sendable () async -> (config: ShopConfig, jobs: [JobDefinition])) {
        self.store = store
        self.reload = reload
        self.outboxChanged = outboxChanged
        self.current = current
        self.clock = clock
        self.secureCookies = secureCookies
    }
}
