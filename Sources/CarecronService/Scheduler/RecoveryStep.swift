import CarecronDelivery
import CarecronStorage
import Foundation
import Logging

/// At start-up, before anything is planned or sent: outcomes a full disk kept from the store
/// are recorded, and messages left `sending` by a stop are retried with their idempotency keys.
struct RecoveryStep {
    let store: any CareStore
    let log: Logger

    func run(dispatcher: Dispatcher?, now: Date) async throws {
        _ = try await dispatcher?.recordHeldOutcomes()
        let recovered = try await store.outbox.recoverInFlight(now: now)
        if recovered > 0 { log.warning("\(recovered) message(s) were being sent when carecron stopped: retried with their idempotency keys") }
    }
}
