import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process the bench starts itself, so that it can read what Foundation's `Process`
/// hides: the child's own CPU time and peak memory (wait4's rusage), and its CPU while it runs
/// (/proc). Output goes to files, never to a pipe that could fill up.
public final class Child: @unchecked Sendable {
    public let pid: pid_t
    public let started: Date
    private var reaped: Exit?

    public struct Exit: Sendable {
        public let status: Int32
        public let signalled: Bool
        public let cpuSeconds: Double
        public let peakBytes: Int
        public let wallSeconds: Double
    }

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                stdout: String = "/dev/null", stderr: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
        started = Date()
    }

    public var isRunning: Bool { reaped == nil && poll() == nil }

    public func signal(_ sig: Int32) { if reaped == nil { kill(pid, sig) } }

    /// CPU seconds (user + system) used so far, from /proc/PID/stat.
    public func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based, man 5 proc).
        guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The exit, if the child has ended (without blocking).
    public func poll() -> Exit? { reap(options: WNOHANG) }

    @discardableResult
    public func wait() -> Exit { reap(options: 0)! }

    /// Waits at most `seconds`; nil if the child is still running then.
    public func wait(seconds: Double) -> Exit? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let e = poll() { return e }
            usleep(5_000)
        }
        return poll()
    }

    private func reap(options: Int32) -> Exit? {
        if let reaped { return reaped }
        var status: Int32 = 0
        var usage = rusage()
        let r = wait4(pid, &status, options, &usage)
        guard r == pid else { return nil }
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        let signalled = (status & 0x7f) != 0
        let e = Exit(status: signalled ? 128 + (status & 0x7f) : (status >> 8) & 0xff, signalled: signalled, cpuSeconds: cpu,
                     peakBytes: Int(usage.ru_maxrss) * 1024, wallSeconds: Date().timeIntervalSince(started))
        reaped = e
        return e
    }

    deinit { if reaped == nil { kill(pid, SIGKILL); _ = reap(options: 0) } }
}

public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Runs a command to its end; its standard output as text.
@discardableResult
public func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Child.Exit, String, String) {
    let dir = FileManager.default.temporaryDirectory
    let out = dir.appendingPathComponent("carecron-bench-\(UUID().uuidString).out").path
    let err = out + ".err"
    defer { unlink(out); unlink(err) }
    let exit = try Child(executable, arguments, environment: environment, stdout: out, stderr: err).wait()
    return (exit, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
}

/// Where a program is on PATH, if it is.
public func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}
