import Crypto
import Foundation

/// A real server process on 127.0.0.1 (Tests/servers/*.py), started for one test and stopped
/// with it. It prints its port first; what it received is read back from its log.
final class TestServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let log: URL
    let folder: URL

    init(_ script: String, _ args: [String] = []) throws {
        folder = TestSupport.temporaryFolder("server")
        log = folder.appendingPathComponent("requests.jsonl")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestSupport.packageRoot.appendingPathComponent("Tests/servers/\(script)").path] + args
            + (script == "http_server.py" ? ["--log", log.path] : [])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw ServerError(message: "\(script) did not start (is python3 with its modules installed? .ci/run installs them)")
        }
        port = p
    }

    struct ServerError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far.
    func requests() throws -> [[String: Any]] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    deinit {
        // SIGKILL: a child spawned from a thread that blocks SIGTERM inherits the block.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// A port nobody listens on: for "connection refused".
func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    close(fd)
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// eSMS's short-code MO forward as its documentation writes it: a GET to the receiver, signed
/// base64(MD5(cpid + smsid + content + receiverTime + key)).
enum ESMSInbound {
    static func query(from: String = "84912345678", content: String, smsid: String, time: String, key: String, cpid: String = "CP01") -> String {
        let sign = Data(Insecure.MD5.hash(data: Data((cpid + smsid + content + time + key).utf8))).base64EncodedString()
        var c = URLComponents()
        c.queryItems = [("sender", from), ("content", content), ("serviceNumber", "8079"), ("keyword", "TC"), ("sign", sign),
                        ("cpid", cpid), ("smsid", smsid), ("receiverTime", time)].map { URLQueryItem(name: $0.0, value: $0.1) }
        return c.percentEncodedQuery!.replacingOccurrences(of: "+", with: "%2B")
    }

    /// Sends it to a running service's `/webhooks/inbound/esms`; the service's answer.
    @discardableResult
    static func send(port: Int, from: String = "84912345678", content: String, smsid: String, time: String, key: String) throws -> String {
        try String(contentsOf: URL(string: "http://127.0.0.1:\(port)/webhooks/inbound/esms?" + query(from: from, content: content, smsid: smsid, time: time, key: key))!,
                   encoding: .utf8)
    }
}
