import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP part every HTTP sender shares: one request, and what its answer means.
struct HTTPTransport: Sendable {
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
    }

    let client: HTTPClient

    init(client: HTTPClient = HTTPTransport.client) { self.client = client }

    /// One client for the process. A refused connection fails the attempt at once (the outbox
    /// retries it later) instead of being retried inside the client until the deadline.
    static let client: HTTPClient = {
        var c = HTTPClient.Configuration()
        c.connectionPool.retryConnectionEstablishment = false
        c.timeout.connect = .seconds(5)
        // The client's default (8 connections a host) would cap a sender below its own
        // `concurrency`; the senders' gates are what limit us.
        c.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
    }()

    /// Sends a request; a failure to send comes back as the outcome it means.
    func send(url: String, method: HTTPMethod, headers: [(String, String)], body: Data?, timeout: TimeInterval) async -> Result<Reply, OutcomeError> {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            let buffer = try await response.body.collect(upTo: 1 << 20)
            return .success(Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView)))
        } catch {
            return .failure(OutcomeError(Self.classify(error)))
        }
    }

    struct OutcomeError: Error { let outcome: SendOutcome; init(_ o: SendOutcome) { outcome = o } }

    /// Nothing sent (refused, no connection) is a plain retry; a timeout or a dropped connection
    /// after the request went out is an unknown outcome, retried with the same idempotency key.
    static func classify(_ error: Error) -> SendOutcome {
        if let e = error as? HTTPClientError {
            if e == .connectTimeout { return .retry("connect timeout", after: nil) }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(e) { return .misconfigured("bad URL: \(e)") }
            if [.readTimeout, .deadlineExceeded, .remoteConnectionClosed, .writeTimeout].contains(e) { return .unknown("\(e)") }
        }
        // Connection refused, DNS, TLS handshake: the request never left.
        return .retry("connection failed: \(error)", after: nil)
    }

    /// What a non-2xx status means; nil for success.
    static func classify(_ reply: Reply) -> SendOutcome? {
        let s = reply.status
        let body = String(decoding: reply.body.prefix(200), as: UTF8.self).trimmedSpaces
        let detail = "HTTP \(s) \(HTTPResponseStatus(statusCode: s).reasonPhrase)" + (body.isEmpty ? "" : ": \(body)")
        switch s {
        case 200..<300: return nil
        case 408, 425, 429, 500..<600: return .retry(detail, after: retryAfter(reply.headers))
        case 401, 403: return .misconfigured(detail)
        default: return .rejected(detail)
        }
    }

    /// `Retry-After` in seconds or as an HTTP date.
    static func retryAfter(_ headers: HTTPHeaders) -> TimeInterval? {
        guard let v = headers.first(name: "Retry-After")?.trimmedSpaces else { return nil }
        if let s = TimeInterval(v) { return max(0, s) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: v).map { max(0, $0.timeIntervalSinceNow) }
    }
}

/// Reads `a.b.c` out of a JSON reply.
enum JSONPath {
    static func value(_ path: String, in data: Data) -> String? {
        guard var node = try? JSONSerialization.jsonObject(with: data) else { return nil }
        for part in path.split(separator: ".") {
            guard let dict = node as? [String: Any], let next = dict[String(part)] else { return nil }
            node = next
        }
        switch node {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }
}
