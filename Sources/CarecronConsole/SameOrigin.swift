import CarecronConfig
import Foundation
import HTTPTypes
import Hummingbird

/// The names the console answers to: its listen address's own (127.0.0.1, localhost, ::1 and
/// the configured host, with the port) and those config.json's `console.allowedHosts` adds for a
/// reverse proxy.
///
/// Why: a page of another site whose DNS name was pointed at this machine (DNS rebinding) is,
/// to the browser, the same origin as the console; only the `Host` it sends still names that
/// site. A login-free loopback console that answered it handed its editor's token over.
public struct ConsoleHosts: Sendable {
    let listen: HostName
    let extra: Set<HostName>

    public init(listenHost: String, port: Int, allowed: [String] = []) {
        listen = HostName(name: listenHost, port: port)
        extra = Set(allowed.compactMap(HostName.init))
    }

    /// Listening on every address (0.0.0.0, ::): the machine's own addresses are its names.
    var isWildcard: Bool { ["0.0.0.0", "::", ""].contains(listen.name) }

    func accepts(_ host: HostName) -> Bool {
        if extra.contains(host) { return true }
        guard host.port == listen.port || (host.port == nil && listen.port == 80) else { return false }
        if ["localhost", "127.0.0.1", "::1", listen.name].contains(host.name) { return true }
        // An address written as digits has no DNS answer behind it that another site could control.
        return isWildcard && host.isIPAddress
    }

    /// Where to open the console, for the refusal page.
    var url: String {
        let host = isWildcard ? HostName(name: "127.0.0.1", port: listen.port) : listen
        return "http://\(host)/console/"
    }
}

/// Refuses, before any route or session, a request under a name that is not the console's, and
/// a form posted from another origin: `Origin` (else `Referer`) must name the console too. The
/// login is included: it has no token to carry, and a forged login would sign the victim in as
/// the attacker.
struct SameOriginGuard<Context: RequestContext>: RouterMiddleware {
    let hosts: ConsoleHosts
    let views: Views

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let language = Views.language(request)
        guard let authority = request.head.authority, !authority.isEmpty else {
            return views.refusal("refused_host_missing", ["url": hosts.url], language: language, status: .misdirectedRequest)
        }
        guard let host = HostName(authority), hosts.accepts(host) else {
            context.logger.notice("console refused a request under another name", metadata: ["host": "\(authority)"])
            return views.refusal("refused_host", ["host": authority, "url": hosts.url], language: language, status: .misdirectedRequest)
        }
        if request.method == .post {
            guard let sender = request.headers[.origin] ?? request.headers[.referer] else {
                return views.refusal("refused_origin_missing", language: language, status: .forbidden)
            }
            guard let origin = Self.origin(of: sender), hosts.accepts(origin) else {
                context.logger.notice("console refused a form sent from another site", metadata: ["origin": "\(sender.prefix(200))"])
                return views.refusal("refused_origin", ["origin": String(sender.prefix(200))], language: language, status: .forbidden)
            }
        }
        return try await next(request, context)
    }

    /// The host and port of an `Origin` ("http://127.0.0.1:8081") or a `Referer` (a whole URL);
    /// nil for "null" (a sandboxed or file page) and for anything but http(s).
    static func origin(of header: String) -> HostName? {
        let lower = header.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else { return nil }
        let rest = header.dropFirst(scheme.count)
        let authority = rest.prefix { !"/?#".contains($0) }
        guard !authority.contains("@") else { return nil }
        return HostName(String(authority))
    }
}
