import CarecronStorage
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The bench's provider: a small HTTP server on 127.0.0.1 that answers as fast as it can, or
/// fails a share of requests the way real providers do (500, 429 with Retry-After, an answer
/// slower than the sender's timeout, a dropped connection), and logs every request as a line
/// `arrival-ms answer idempotency-key path` so that losses, duplicates and backoff can be counted
/// from the provider's side. Built on SwiftNIO so that it is not the bottleneck it measures.
public final class Receiver: @unchecked Sendable {
    public struct Faults: Sendable {
        public var rate: Double = 0
        public var seed: UInt64 = 1
        public var retryAfter = 1
        public var slowSeconds: Double = 3
        /// Every answer held this long: a provider's own latency.
        public var delaySeconds: Double = 0
        public init() {}
    }

    public enum Answer: String, Sendable { case ok, e500 = "500", e429 = "429", slow, close }

    let faults: Faults
    let logFD: Int32
    private let state: NIOLockedValueBox<State>
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    private let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    private let refusing = NIOLockedValueBox(false)
    public private(set) var port = 0

    struct State {
        var rng: SplitMix
        var count = 0
        var benchKeys = 0
    }

    public init(log: URL?, faults: Faults = Faults()) throws {
        self.faults = faults
        state = NIOLockedValueBox(State(rng: SplitMix(seed: faults.seed)))
        if let log {
            logFD = open(log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard logFD >= 0 else { throw BenchError("cannot write \(log.path)") }
        } else {
            logFD = -1
        }
    }

    /// Listens on 127.0.0.1:`port` (0: any free port).
    public func start(port: Int = 0) throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                if self.refusing.withLockedValue({ $0 }) { return Self.reset(channel) }
                self.connections.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
                channel.closeFuture.whenComplete { _ in _ = self.connections.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
                return channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(receiver: self))
                }
            }
        let c = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        channel = c
        self.port = c.localAddress?.port ?? port
    }

    /// While on, every connection is reset as soon as it is made, and those open are reset
    /// too: the provider is down. (Closing the listening socket instead would leave the port
    /// unusable for a moment on Linux, so the provider could not come back where it was.)
    public func refuseConnections(_ on: Bool) {
        refusing.withLockedValue { $0 = on }
        guard on else { return }
        for c in connections.withLockedValue({ Array($0.values) }) { try? Self.reset(c).wait() }
    }

    static func reset(_ channel: Channel) -> EventLoopFuture<Void> {
        // SO_LINGER 0: the close is a reset, as a host with nothing listening answers.
        guard let provider = channel as? SocketOptionProvider else { return channel.close() }
        return provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).flatMap { channel.close() }
    }

    public func shutdown() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
        if logFD >= 0 { close(logFD) }
    }

    public var requests: Int { state.withLockedValue { $0.count } }
    /// Requests for the bench's own messages (keys `bench:N`), not the shop's.
    public var benchRequests: Int { state.withLockedValue { $0.benchKeys } }

    func answer(key: String?, path: String) -> Answer {
        let a: Answer = state.withLockedValue { s in
            s.count += 1
            if key?.hasPrefix("bench:") == true { s.benchKeys += 1 }
            guard faults.rate > 0, Double(s.rng.next() % 1_000_000) / 1_000_000 < faults.rate else { return .ok }
            return [Answer.e500, .e429, .slow, .close][Int(s.rng.next() % 4)]
        }
        if logFD >= 0 {
            let ms = Int64(Date().timeIntervalSince1970 * 1000)
            let line = "\(ms) \(a.rawValue) \(key ?? "-") \(path)\n"
            _ = line.withCString { write(logFD, $0, strlen($0)) }
        }
        return a
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let receiver: Receiver
        var key: String?
        var path = "/"
        var keepAlive = true

        init(receiver: Receiver) { self.receiver = receiver }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                key = head.headers.first(name: "Idempotency-Key")
                path = head.uri
                keepAlive = head.isKeepAlive
            case .body:
                break
            case .end:
                let answer = receiver.answer(key: key, path: path)
                switch answer {
                case .ok: respond(context, .ok, body: "{\"id\":\"r\(receiver.requests)\"}", after: receiver.faults.delaySeconds)
                case .e500: respond(context, .internalServerError, body: "{\"error\":\"provider failure\"}")
                case .e429: respond(context, .tooManyRequests, body: "{\"error\":\"slow down\"}",
                                    extra: [("Retry-After", "\(receiver.faults.retryAfter)")])
                case .slow: respond(context, .ok, body: "{\"id\":\"late\"}", after: receiver.faults.slowSeconds)
                case .close: context.close(promise: nil)
                }
            }
        }

        func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, body: String, extra: [(String, String)] = [],
                     after delay: Double = 0) {
            if delay > 0 {
                let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay * 1000))) {
                    self.respond(ctx.value, status, body: body, extra: extra)
                }
                return
            }
            guard context.channel.isActive else { return }
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.utf8.count)")])
            headers.add(contentsOf: extra)
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            let close = !keepAlive, channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if close { channel.close(promise: nil) } }
        }
    }
}

/// What the receiver's log says about a run: per idempotency key, every attempt in order.
public struct ReceiverLog {
    /// One request: when it arrived (ms since 1970), the answer, and the path it was posted to
    /// (the multinode runs give each node process a path of its own).
    public struct Attempt { public let ms: Int64; public let answer: String; public let path: String }
    public var attempts: [String: [Attempt]] = [:]
    public var total = 0

    public init(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 3)
            guard parts.count >= 3, let ms = Int64(parts[0]) else { continue }
            total += 1
            attempts[String(parts[2]), default: []].append(Attempt(ms: ms, answer: String(parts[1]), path: parts.count > 3 ? String(parts[3]) : "/"))
        }
    }

    /// Keys the provider took (answered ok, or processed but answered too late).
    public var delivered: Set<String> {
        Set(attempts.filter { $0.value.contains { $0.answer == "ok" || $0.answer == "slow" } }.keys)
    }

    /// Requests that reached the provider for a key it had already taken: what a provider
    /// without idempotency keys would have delivered twice.
    public var rawDuplicates: Int {
        var n = 0
        for a in attempts.values {
            let taken = a.filter { $0.answer == "ok" || $0.answer == "slow" }.count
            n += max(0, taken - 1)
        }
        return n
    }

    /// Retries that came sooner than the Retry-After the provider asked for.
    public func retryAfterViolations(seconds: Int) -> Int {
        var n = 0
        for a in attempts.values {
            for (x, y) in zip(a, a.dropFirst()) where x.answer == "429" && y.ms - x.ms < Int64(seconds * 1000) - 50 { n += 1 }
        }
        return n
    }

    /// The shortest wait (seconds) before a retry after a 500.
    public var shortestRetryAfterFailure: Double? {
        var shortest: Double?
        for a in attempts.values {
            for (x, y) in zip(a, a.dropFirst()) where x.answer == "500" {
                let gap = Double(y.ms - x.ms) / 1000
                shortest = min(shortest ?? gap, gap)
            }
        }
        return shortest
    }
}
