import CarecronConfig
import CarecronDomain
@testable import CarecronService
import CarecronSQLite
import CarecronStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import ServiceLifecycleTestKit
import Testing

/// Issue 26, item 8: the whole service lives on one clock (`run --clock-start`), and what the
/// console changes in the outbox wakes the dispatcher.
@Suite("The service's clock and wake-ups")
struct ServiceClockTests {
    func service(clock: WallClock) throws -> CareService {
        let folder = try TestSupport.shopFolder()
        let loaded = ConfigLoader.load(folder.appendingPathComponent("config.json"))
        let store = try Store(url: folder.appendingPathComponent("var/carecron.sqlite"))
        return CareService(store: store, runtime: RuntimeBox(Runtime(config: try #require(loaded.config), jobs: loaded.jobs, dispatcher: nil)),
                           wakeup: Wakeup(), dryRun: false, previewFile: nil, log: Logger(label: "test"), clock: clock)
    }

    @Test func aRehearsedDaySleepsByItsOwnClock() throws {
        // A day five days back and one five days ahead, each running at the system's pace.
        for offset: TimeInterval in [-5 * 86_400, 5 * 86_400] {
            let clock = WallClock.starting(at: Date().addingTimeInterval(offset))
            let s = try service(clock: clock)
            let wait = s.sleepDuration(until: clock.now().addingTimeInterval(60))
            #expect(wait > 59 && wait <= 60, "offset \(offset): slept \(wait) s for a minute of its day")
        }
        let s = try service(clock: .system)
        #expect(s.sleepDuration(until: Date().addingTimeInterval(-5)) == 0, "what is due already is not waited for")
    }

    @Test func aRetryOrADropInTheConsoleWakesTheDispatcher() async throws {
        let woken = Mutex(0)
        var storeURL: URL?
        let router = try ConsoleRouteTests.router(outboxChanged: { woken.withLock { $0 += 1 } },
                                                  edit: { storeURL = $0.appendingPathComponent("var/carecron.sqlite") })
        let store = try Store(url: try #require(storeURL))
        let now = TestSupport.instant("2026-11-30T10:00:00+07:00")
        let sms = [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)]
        for key in ["k:1", "k:2"] {
            try Outbox(store: store).enqueue(keys: [key], job: "payment-reminder", customerId: "C001", orderIds: ["D01"], reminder: 1,
                                             renderings: sms, dueAt: now, now: now)
        }
        for m in try Outbox(store: store).claimDue(now: now, limit: 1) { try Outbox(store: store).markDead(m.id, error: "refused", now: now) }
        try await Application(router: router).test(.router) { client in
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let csrf = try await client.execute(uri: "/console/outbox", method: .get, headers: editor) { r in
                try #require(ConsoleRouteTests.csrf(ConsoleRouteTests.text(r.body)))
            }
            for (path, wakes) in [("1/retry", 1), ("1/retry", 1), ("2/drop", 2), ("2/drop", 2)] {
                try await client.execute(uri: "/console/outbox/\(path)", method: .post, headers: ConsoleRouteTests.form(editor),
                                         body: ConsoleRouteTests.encoded(["csrf": csrf])) { r in
                    #expect(r.status == .seeOther)
                }
                #expect(woken.withLock { $0 } == wakes, "\(path): a change wakes the dispatcher, a refused one does not")
            }
        }
    }
}

/// A stop never waits on work that cannot end (a pass held by a database call that never
/// answers); work that ends, ends as it would.
@Suite("A graceful stop")
struct GracefulStopTests {
    @Test func workThatNeverEndsIsLeftAfterTheGrace() async {
        await testGracefulShutdown { trigger in
            let asked = Flag()
            async let outcome = GracefulStop.run(grace: .milliseconds(300), onStop: { asked.set() }) {
                // Ignores cancellation and the stop, as a lost continuation would.
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            }
            try? await Task.sleep(for: .milliseconds(50))
            trigger.triggerGracefulShutdown()
            let result = await outcome
            #expect(result == nil, "left after the grace")
            #expect(asked.isSet, "asked to stop first")
        }
    }

    @Test func workLeftAfterTheGraceIsCancelled() async {
        await testGracefulShutdown { trigger in
            let cancelled = Flag()
            async let outcome = GracefulStop.run(grace: .milliseconds(200), onStop: {}) {
                // Ignores the stop, but not cancellation.
                await withTaskCancellationHandler {
                    try? await Task.sleep(for: .seconds(60))
                } onCancel: { cancelled.set() }
            }
            try? await Task.sleep(for: .milliseconds(50))
            trigger.triggerGracefulShutdown()
            let result = await outcome
            #expect(result == nil)
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while !cancelled.isSet, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            #expect(cancelled.isSet, "the work left behind is cancelled")
        }
    }

    @Test func workThatEndsOnTheStopReportsHowItEnded() async {
        await testGracefulShutdown { trigger in
            let stop = Flag()
            async let outcome = GracefulStop.run(grace: .seconds(30), onStop: { stop.set() }) {
                while !stop.isSet { try await Task.sleep(for: .milliseconds(5)) }
                throw Ended()
            }
            try? await Task.sleep(for: .milliseconds(50))
            trigger.triggerGracefulShutdown()
            let result = await outcome
            #expect({ if case .failure(let e)? = result { e is Ended } else { false } }(), "the work's own ending, at once: \(String(describing: result))")
        }
    }

    struct Ended: Error {}

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}
