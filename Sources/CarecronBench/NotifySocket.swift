import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Stands in for systemd's notification socket: a child started with NOTIFY_SOCKET set to
/// `path` tells it READY=1, STOPPING=1, WATCHDOG=1, and we note when.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    let fd: Int32

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cc-notify-\(UUID().uuidString.prefix(8))").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw BenchError("bind \(path): \(String(cString: strerror(errno)))") }
    }

    /// The next message, or nil after `timeout` seconds.
    public func receive(timeout: Double) -> String? {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// Waits for a message containing `line` (e.g. "READY=1"); when it came, or nil.
    public func wait(for line: String, timeout: Double) -> Date? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let m = receive(timeout: max(0.01, deadline.timeIntervalSinceNow)), m.split(separator: "\n").contains(Substring(line)) {
                return Date()
            }
        }
        return nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}
