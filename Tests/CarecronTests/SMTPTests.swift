import CarecronDelivery
import Foundation
import Testing

/// The SMTP sender against a real SMTP server (aiosmtpd) on 127.0.0.1, with STARTTLS and AUTH;
/// the message is decoded by Python's own email parser and compared byte for byte.
@Suite("Email over SMTP", .serialized)
struct SMTPTests {
    static func run(_ args: [String], in dir: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = dir
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func certificate() throws -> URL {
        let dir = TestSupport.temporaryFolder("tls")
        _ = try Self.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
                          "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"], in: dir)
        return dir
    }

    @Test func vietnameseMessageArrivesIntactOverSTARTTLSWithAuth() async throws {
        let tls = try certificate()
        let mailbox = TestSupport.temporaryFolder("mailbox")
        let server = try TestServer("smtp_server.py", ["--dir", mailbox.path, "--cert", tls.appendingPathComponent("cert.pem").path,
                                                       "--key", tls.appendingPathComponent("key.pem").path])
        let subject = "Chị Lan ơi, đơn D01 đang chờ thanh toán"
        let body = "Chào Chị Lan,\n\nHoa Sen Cosmetics đã nhận đơn hàng của mình:\n- D01: Son dưỡng môi x1 — 450.000₫\n\nĐặng Quốc Bảo, Võ Thị Mỹ Duyên."
        // A generous timeout: under the full parallel suite (bcrypt floods, browsers, PostgreSQL) the
        // Python server has stalled a conversation past 30 s; what is tested is the message, not speed.
        let sender = SMTPSender(name: "mail", host: "localhost", port: server.port, security: .starttls, username: "shop",
                                password: "secret", from: "cskh@hoasen.vn", fromName: "Hoa Sen Cosmetics",
                                caFile: tls.appendingPathComponent("cert.pem").path, limits: SenderLimits(timeout: 120))
        let message = OutgoingMessage(id: 1, idempotencyKey: "payment-reminder:D01:1", job: "payment-reminder", channel: "email",
                                      to: "lan@example.vn", subject: subject, text: body)
        let outcome = await sender.send(message)
        guard case .sent = outcome else { Issue.record("not sent: \(outcome)"); return }
        let files = try FileManager.default.contentsOfDirectory(at: mailbox, includingPropertiesForKeys: nil)
        #expect(files.count == 1)
        let decoded = try Self.run(["python3", "-c", """
            import email, email.header, json, sys
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
            subject = str(email.header.make_header(email.header.decode_header(m['Subject'])))
            sender = str(email.header.make_header(email.header.decode_header(m['From'])))
            print(json.dumps({"subject": subject, "from": sender, "to": m['To'], "body": m.get_payload(decode=True).decode('utf-8'),
                              "charset": m.get_content_charset(), "type": m.get_content_type(), "msgid": m['Message-ID'],
                              "date": m['Date'], "envelope": m['X-Envelope-To']}))
            """, files[0].path], in: mailbox)
        let got = try JSONSerialization.jsonObject(with: Data(decoded.utf8)) as! [String: String]
        #expect(got["subject"] == subject)
        #expect(got["body"] == body.replacingOccurrences(of: "\n", with: "\r\n"), "CRLF line ends, as RFC 5322 wants")
        #expect(got["from"] == "Hoa Sen Cosmetics <cskh@hoasen.vn>")
        #expect(got["to"] == "<lan@example.vn>" && got["envelope"] == "lan@example.vn")
        #expect(got["charset"] == "utf-8" && got["type"] == "text/plain")
        #expect(got["msgid"]?.hasSuffix("@hoasen.vn>") == true && got["date"]?.isEmpty == false)
    }

    @Test func wrongPasswordIsAConfigurationErrorAndNoServerIsARetry() async throws {
        let tls = try certificate()
        let mailbox = TestSupport.temporaryFolder("mailbox")
        let server = try TestServer("smtp_server.py", ["--dir", mailbox.path, "--cert", tls.appendingPathComponent("cert.pem").path,
                                                       "--key", tls.appendingPathComponent("key.pem").path])
        let message = OutgoingMessage(id: 1, idempotencyKey: "k", job: "j", channel: "email", to: "lan@example.vn", subject: "x", text: "y")
        let wrong = SMTPSender(name: "mail", host: "localhost", port: server.port, security: .starttls, username: "shop", password: "nope",
                               from: "cskh@hoasen.vn", fromName: nil, caFile: tls.appendingPathComponent("cert.pem").path,
                               limits: SenderLimits(timeout: 120))
        guard case .misconfigured = await wrong.send(message) else { Issue.record("a refused login is our configuration"); return }
        let nobody = SMTPSender(name: "mail", host: "127.0.0.1", port: closedPort(), security: .none, username: nil, password: nil,
                                from: "cskh@hoasen.vn", fromName: nil, caFile: nil, limits: SenderLimits(timeout: 5))
        guard case .retry = await nobody.send(message) else { Issue.record("no server: try again later"); return }
        #expect(try FileManager.default.contentsOfDirectory(atPath: mailbox.path).isEmpty)
    }
}
