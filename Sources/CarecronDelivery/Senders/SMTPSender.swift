import CarecronConfig
import CarecronDomain
import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// Email over SMTP, on SwiftNIO and swift-nio-ssl (no Swift SMTP package is on the machine):
/// STARTTLS or implicit TLS, AUTH PLAIN or LOGIN, a UTF-8 subject (RFC 2047) and body,
/// `Message-ID` and `Date`, one plain-text part.
public struct SMTPSender: Sender {
    public enum Security: String, Sendable { case starttls, implicit, none }

    public let name: String
    public let limits: SenderLimits
    let host: String
    let port: Int
    let security: Security
    let username: String?
    let password: String?
    let from: String
    let fromName: String?
    let caFile: String?

    public init(name: String, host: String, port: Int, security: Security, username: String?, password: String?,
                from: String, fromName: String?, caFile: String?, limits: SenderLimits) {
        self.name = name
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.fromName = fromName
        self.caFile = caFile
        self.limits = limits
    }

    struct Reply {
        let code: Int
        let lines: [String]
        var text: String { lines.joined(separator: " / ") }
    }

    /// Where the conversation stopped: decides whether the message may have been accepted.
    enum Stage { case connecting, greeting, auth, envelope, data, done }

    struct Failure: Error {
        let outcome: SendOutcome
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        do {
            return try await withThrowingTaskGroup(of: SendOutcome.self) { group in
                group.addTask { try await self.converse(m) }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(self.limits.timeout * 1_000_000_000))
                    return .unknown("SMTP conversation timed out after \(Int(self.limits.timeout)) s")
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
        } catch let f as Failure {
            return f.outcome
        } catch {
            return .retry("SMTP: \(error)", after: nil)
        }
    }

    private func tlsContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        return try NIOSSLContext(configuration: tls)
    }

    private func converse(_ m: OutgoingMessage) async throws -> SendOutcome {
        let tls = security == .none ? nil : try tlsContext()
        let implicitTLS = security == .implicit ? tls : nil
        let host = self.host
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(Int64(min(limits.timeout, 10))))
                .connect(host: host, port: port) { ch in
                    ch.eventLoop.makeCompletedFuture {
                        if let implicitTLS {
                            try ch.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: implicitTLS, serverHostname: host))
                        }
                        try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch)
                    }
                }
        } catch {
            throw Failure(outcome: .retry("cannot connect to \(host):\(port): \(error)", after: nil))
        }
        return try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            var stage = Stage.greeting
            func read() async throws -> Reply {
                var collected: [String] = []
                while let buffer = try await lines.next() {
                    let line = String(buffer: buffer).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                    collected.append(line)
                    if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-" {
                        return Reply(code: Int(line.prefix(3)) ?? 0, lines: collected)
                    }
                }
                throw Failure(outcome: stage == .data ? .unknown("connection closed after the message was sent")
                                                      : .retry("server closed the connection", after: nil))
            }
            func say(_ line: String) async throws {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
            }
            func expect(_ codes: ClosedRange<Int>, _ command: String?) async throws -> Reply {
                if let command { try await say(command) }
                let reply = try await read()
                guard codes.contains(reply.code) else { throw Failure(outcome: Self.outcome(reply, stage: stage)) }
                return reply
            }

            _ = try await expect(220...220, nil)
            var ehlo = try await expect(250...250, "EHLO carecron")
            if security == .starttls {
                guard ehlo.lines.contains(where: { $0.uppercased().contains("STARTTLS") }) else {
                    throw Failure(outcome: .misconfigured("\(host) does not offer STARTTLS"))
                }
                _ = try await expect(220...220, "STARTTLS")
                let ch = channel.channel
                try await ch.eventLoop.submit {
                    try ch.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls!, serverHostname: host), position: .first)
                }.get()
                ehlo = try await expect(250...250, "EHLO carecron")
            }
            if let username, let password {
                stage = .auth
                let offered = ehlo.lines.first { $0.uppercased().contains("AUTH") }?.uppercased() ?? ""
                if offered.contains("PLAIN") || !offered.contains("LOGIN") {
                    let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                    _ = try await expect(235...235, "AUTH PLAIN \(token)")
                } else {
                    _ = try await expect(334...334, "AUTH LOGIN")
                    _ = try await expect(334...334, Data(username.utf8).base64EncodedString())
                    _ = try await expect(235...235, Data(password.utf8).base64EncodedString())
                }
            }
            stage = .envelope
            _ = try await expect(250...250, "MAIL FROM:<\(from)> BODY=8BITMIME")
            _ = try await expect(250...251, "RCPT TO:<\(m.to)>")
            _ = try await expect(354...354, "DATA")
            stage = .data
            try await outbound.write(ByteBuffer(string: EmailMessage.render(m, from: from, fromName: fromName, host: host)))
            let accepted = try await expect(250...250, ".")
            stage = .done
            try? await say("QUIT")
            return .sent(providerId: accepted.lines.last.map { String($0.dropFirst(4)) })
        }
    }

    /// 4xx is "not now"; 5xx on the recipient is "not this address"; 5xx elsewhere is our setup.
    static func outcome(_ reply: Reply, stage: Stage) -> SendOutcome {
        let detail = "SMTP \(reply.code): \(reply.text)"
        if (400..<500).contains(reply.code) { return .retry(detail, after: nil) }
        switch stage {
        case .envelope where reply.text.uppercased().contains("RCPT") || (550...553).contains(reply.code): return .rejected(detail)
        case .data: return .unknown(detail)
        default: return .misconfigured(detail)
        }
    }
}

/// An RFC 5322 message with a UTF-8 subject (RFC 2047) and a base64 text/plain body, or, when
/// the template has an HTML form, `multipart/alternative` with the plain and the HTML parts
/// (RFC 2046: the plain one first, the preferred one last).
enum EmailMessage {
    static func encodedWord(_ s: String) -> String {
        s.allSatisfy { $0.isASCII && !$0.isNewline } ? s : "=?UTF-8?B?\(Data(s.utf8).base64EncodedString())?="
    }

    static func rfc5322Date(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f.string(from: d)
    }

    static func render(_ m: OutgoingMessage, from: String, fromName: String?, host: String, date: Date = WallClock.system.now()) -> String {
        let domain = from.split(separator: "@").last.map(String.init) ?? "carecron.local"
        let safeKey = m.idempotencyKey.filter { $0.isLetter || $0.isNumber || "-.:+_".contains($0) }
        let headers = [
            "From: " + (fromName.map { "\(encodedWord($0)) <\(from)>" } ?? "<\(from)>"),
            "To: <\(m.to)>",
            "Subject: \(encodedWord(m.subject ?? ""))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>",
            "X-Carecron-Key: \(safeKey)",
            "MIME-Version: 1.0",
        ]
        let content: String
        if let html = m.html {
            // Base64 lines never hold "--", so the boundary cannot occur inside a part.
            let boundary = "carecron-\(UUID().uuidString.lowercased())"
            content = "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
                + "--\(boundary)\r\n" + part("text/plain", m.text) + "\r\n"
                + "--\(boundary)\r\n" + part("text/html", html) + "\r\n"
                + "--\(boundary)--"
        } else {
            content = part("text/plain", m.text)
        }
        return headers.joined(separator: "\r\n") + "\r\n" + content + "\r\n.\r\n"
    }

    /// A UTF-8 part's headers and base64 body, CRLF line ends.
    static func part(_ type: String, _ text: String) -> String {
        let body = Data(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return "Content-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body
    }
}

/// `"type": "smtp"`.
enum SMTPPlugin: SenderPlugin {
    static let schema = SenderSchema(type: "smtp", keys: ["host", "port", "tls", "caFile", "from", "fromName", "username"] + SenderSchema.limitKeys,
                                     secrets: ["password"], channel: .email)

    static func make(_ s: SenderSettings, _ setup: SenderSetup) throws -> any Sender {
        let security = SMTPSender.Security(rawValue: try s.string("tls") ?? "starttls")
        guard let security else { throw SenderSetupError("tls must be starttls, implicit or none") }
        let port = try s.int("port") ?? (security == .implicit ? 465 : 587)
        let caFile = try s.string("caFile").map { $0.hasPrefix("/") ? $0 : setup.folder.appendingPathComponent($0).path }
        return SMTPSender(name: s.name, host: try s.required("host"), port: port, security: security,
                          username: try s.string("username"), password: setup.secrets["password"], from: try s.required("from"),
                          fromName: try s.string("fromName"), caFile: caFile, limits: setup.limits)
    }
}
