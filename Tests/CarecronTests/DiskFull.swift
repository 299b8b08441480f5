import Foundation

/// A real full disk for one test: a small tmpfs mounted on a temporary folder (the machine's and
/// CI's sandboxes run as root and may mount), filled to its last page and emptied again.
final class SmallDisk {
    let folder: URL
    private var filler: URL { folder.appendingPathComponent("filler") }

    /// Whether the full-disk tests run here: where a tmpfs can be mounted, and always where
    /// $CARECRON_REQUIRE_TMPFS is set (`.ci/run` sets it: there a refused mount fails the test
    /// instead of skipping it).
    static var runs: Bool { canMount || ProcessInfo.processInfo.environment["CARECRON_REQUIRE_TMPFS"] != nil }

    /// Whether this machine lets a test mount a tmpfs (checked once).
    static let canMount: Bool = {
        guard let d = try? SmallDisk(megabytes: 1) else { return false }
        d.unmount()
        return true
    }()

    init(megabytes: Int) throws {
        folder = TestSupport.temporaryFolder("small-disk")
        let mount = try TestSupport.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path],
                                        in: URL(fileURLWithPath: "/"))
        guard mount.status == 0 else { throw TestServer.ServerError(message: "cannot mount a tmpfs: \(mount.stderr)") }
    }

    /// Writes until the disk refuses a single page more, or has only `leaving` bytes left.
    func fill(leaving: Int = 0) throws {
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let fd = open(filler.path, O_WRONLY | O_APPEND)
        defer { close(fd) }
        var info = statvfs()
        guard statvfs(folder.path, &info) == 0 else { throw TestServer.ServerError(message: "statvfs \(folder.path) failed") }
        var left = Int(info.f_bavail) * Int(info.f_frsize) - leaving
        for size in [1 << 20, 4096, 512] {
            let chunk = [UInt8](repeating: 0xAB, count: size)
            while left >= size || leaving == 0, write(fd, chunk, size) == size { left -= size }
        }
    }

    func empty() throws { try FileManager.default.removeItem(at: filler) }

    func unmount() {
        _ = try? TestSupport.run(URL(fileURLWithPath: "/bin/umount"), ["-l", folder.path], in: URL(fileURLWithPath: "/"))
    }

    deinit { unmount() }
}
