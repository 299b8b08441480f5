import CarecronStore
import Foundation
import Testing

/// A sending `carecron` killed with SIGKILL at random moments loses no message and sends none
/// twice, except where the provider call's outcome was unknown, and then with the same
/// idempotency key (the README's delivery guarantee), counted from what the server received.
@Suite("Crash safety", .serialized)
struct CrashTests {
    @Test func sigkillWhileSendingLosesNothing() async throws {
        let server = try TestServer("http_server.py")
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "\(server.url)/hook", "concurrency": 8]],
                                    channels: ["sms": "hook"])
        let count = 1000
        for i in 0..<count {
            try shop.enqueueReminder("crash:\(i)", renderings: [Rendering(channel: "sms", to: "+84912345678", subject: nil,
                                                                         text: "tin \(i)", params: [:], templateId: nil)])
        }
        var g = SeededGenerator(seed: 42)
        var kills = 0
        for _ in 0..<5 {
            let p = Process()
            p.executableURL = TestSupport.binary
            p.arguments = ["outbox", "send", "--until-empty"]
            p.currentDirectoryURL = shop.folder
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 150_000...600_000, using: &g))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
        }
        let last = try TestSupport.carecron(["outbox", "send", "--until-empty"], in: shop.folder)
        #expect(last.status == 0, "\(last.stderr)")

        let keys = try server.requests().compactMap { ($0["headers"] as? [String: String])?["Idempotency-Key"] }
        let unique = Set(keys)
        let duplicates = keys.count - unique.count
        print("crash test: \(count) messages, \(kills) SIGKILLs, \(keys.count) requests received, \(unique.count) unique, \(duplicates) duplicates")
        #expect(kills >= 1, "the sender was killed mid-run at least once")
        #expect(unique.count == count, "lost: \(count - unique.count)")
        // Only a message in flight at a kill can arrive twice: at most `concurrency` per kill.
        #expect(duplicates <= kills * 8)
        #expect(try shop.outbox.counts() == [.sent: count])
    }
}
