import CarecronConfig
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Every HTTP server carecron runs (the service's API and console, `carecron console`) is built
/// here, with the same limits: a client that opens connections and never finishes a request
/// (20,000 of them once took every file descriptor, silently) is cut off, and the server keeps
/// answering the others.
public enum HTTPServing {
    public static func application(router: Router<APIRequestContext>, host: String, port: Int, limits: ConnectionLimits,
                                   log: Logger) -> some ApplicationProtocol {
        let book = ConnectionBook(cap: limits.maxConnections, log: log)
        let headerTimeout = TimeAmount.seconds(Int64(limits.headerTimeout.seconds))
        // Hummingbird's idle timeout counts from the last request part read or answer written;
        // the header deadline below also covers the bytes of a head that never completes.
        let channel = HTTP1Channel.Configuration(additionalChannelHandlers: [HeaderDeadline(book: book, timeout: headerTimeout)],
                                                 idleTimeout: .seconds(Int64(limits.idleTimeout.seconds)))
        return Application(router: router, server: .http1(configuration: channel),
                           configuration: .init(address: .hostname(host, port: port), serverName: "carecron",
                                                availableConnectionsDelegate: CappedConnections(book: book)),
                           logger: log)
    }
}

/// The connections of one server: how many are open, and which are waiting for a request head
/// (a slow client's first bytes, or a kept-alive connection between requests).
///
/// At the cap the server stops accepting (the next ones wait in the kernel's queue, not in
/// file descriptors), and the connection that has waited longest for a request is closed to
/// make room: a flood of half-sent requests then only displaces itself, and `/healthz` gets in.
final class ConnectionBook: Sendable {
    private struct State {
        var open = 0
        var waiting: [ObjectIdentifier: (channel: any Channel, since: NIODeadline)] = [:]
        var lastLine: NIODeadline?
        var closedSinceLine = 0
    }

    let cap: Int
    let log: Logger
    private let state = NIOLockedValueBox(State())
    /// At most one line a minute about the cap: a flood must not flood the log too.
    static let lineEvery = TimeAmount.seconds(60)

    init(cap: Int, log: Logger) {
        self.cap = cap
        self.log = log
    }

    func accepted() { state.withLockedValue { $0.open += 1 } }
    func released() { state.withLockedValue { $0.open -= 1 } }

    /// Whether another connection may be accepted; at the cap, the longest-waiting connection
    /// is closed, and its closing lets the next one in.
    func hasRoom() -> Bool {
        let (room, victim, line) = state.withLockedValue { s -> (Bool, (any Channel)?, String?) in
            guard s.open >= cap else { return (true, nil, nil) }
            let oldest = s.waiting.min { $0.value.since < $1.value.since }
            if let oldest { s.waiting[oldest.key] = nil }
            s.closedSinceLine += oldest == nil ? 0 : 1
            let now = NIODeadline.now()
            guard s.lastLine.map({ now - $0 >= Self.lineEvery }) ?? true else { return (false, oldest?.value.channel, nil) }
            s.lastLine = now
            let line = "HTTP connections at the cap (\(s.open) open, http.maxConnections \(cap)): new ones wait, and the connections "
                + "waiting longest for a request are closed to make room (\(s.closedSinceLine) since the last line)"
            s.closedSinceLine = 0
            return (false, oldest?.value.channel, line)
        }
        if let line { log.warning("\(line)") }
        victim?.close(promise: nil)
        return room
    }

    /// The connection now waits for a request head. True when the server is at its cap: the
    /// connection should then close rather than sit idle while others wait to get in.
    func waitsForRequest(_ channel: any Channel) -> Bool {
        state.withLockedValue { s in
            s.waiting[ObjectIdentifier(channel)] = (channel, .now())
            return s.open >= cap
        }
    }

    func serving(_ channel: any Channel) { state.withLockedValue { $0.waiting[ObjectIdentifier(channel)] = nil } }
    func gone(_ channel: any Channel) { serving(channel) }
}

/// Hummingbird's accept gate, answered by the book.
struct CappedConnections: AvailableConnectionsDelegate {
    let book: ConnectionBook
    mutating func connectionOpened() { book.accepted() }
    mutating func connectionClosed() { book.released() }
    func isAcceptingNewConnections() -> Bool { book.hasRoom() }
}

/// Closes a connection that has not sent a complete request head within the timeout, counted
/// from its start or from the end of its previous answer; tells the book what it waits for.
final class HeaderDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let book: ConnectionBook
    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Requests whose head was read and whose answer has not ended (pipelined ones included).
    private var unanswered = 0

    init(book: ConnectionBook, timeout: TimeAmount) {
        self.book = book
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { _ = expectHead(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        _ = expectHead(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            unanswered += 1
            deadline?.cancel()
            deadline = nil
            book.serving(context.channel)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        unanswered = max(0, unanswered - 1)
        if unanswered == 0, expectHead(context) {
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
            return
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop(context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { stop(context) }

    /// Starts the wait for the next head; true when the server is full and this idle
    /// connection should make room instead.
    private func expectHead(_ context: ChannelHandlerContext) -> Bool {
        let channel = context.channel
        if deadline == nil {
            deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        }
        return book.waitsForRequest(channel)
    }

    private func stop(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        book.gone(context.channel)
    }
}
