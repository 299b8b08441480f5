import CarecronBench
import CarecronDomain
import Foundation

/// Paths and helpers shared by the tests.
enum TestSupport {
    /// The package root (this file is Tests/CarecronTests/Support.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared`, where the handbook's scenarios live (CI has them there too).
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let basicScenario = shared.appendingPathComponent("scenarios/basic")

    static let saigon = ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!
    static let berlin = ShopClock(zoneIdentifier: "Europe/Berlin")!

    /// A fresh folder under the system temp dir.
    static func temporaryFolder(_ name: String = "carecron-test") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// "2026-12-01T08:15:00+07:00" → instant.
    static func instant(_ text: String, clock: ShopClock = saigon) -> Date {
        guard let d = InstantFormat.parse(text, clock: clock) else { fatalError("bad instant in test: \(text)") }
        return d
    }

    /// The built `carecron` binary, next to the test bundle.
    static var binary: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("carecron"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("carecron"),
            packageRoot.appendingPathComponent(".build/debug/carecron"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `carecron` with arguments in a folder and waits for it.
    @discardableResult
    static func carecron(_ args: [String], in folder: URL, environment: [String: String] = [:], timeout: TimeInterval = 600) throws -> Run {
        try run(binary, args, in: folder, environment: environment, timeout: timeout)
    }

    /// Runs a program with arguments in a folder and waits for it.
    /// Past `timeout` it is killed (SIGKILL) and its status is -1: a command that should have
    /// answered fails its test instead of hanging the suite.
    /// A Python reference (Tests/oracle/NAME) fed `input` on its stdin: its exit status and stdout.
    static func oracle(_ name: String, input: String) throws -> (status: Int32, output: Data) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", packageRoot.appendingPathComponent("Tests/oracle/\(name)").path]
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        try p.run()
        // Written from another thread: the oracle answers as it reads, and a full pipe would stall both.
        let writer = stdin.fileHandleForWriting, payload = Data(input.utf8)
        DispatchQueue.global().async {
            writer.write(payload)
            try? writer.close()
        }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data)
    }

    static func run(_ program: URL, _ args: [String], in folder: URL, environment: [String: String] = [:],
                    timeout: TimeInterval = 600) throws -> Run {
        let p = Process()
        p.executableURL = program
        p.arguments = args
        p.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CARECRON_CONFIG")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        // Files rather than pipes: a chatty child can never block on a full pipe.
        let outURL = temporaryFolder("out").appendingPathComponent("stdout")
        let errURL = outURL.deletingLastPathComponent().appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { usleep(10_000) }
        var killed = false
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            killed = true
        }
        p.waitUntilExit()
        return Run(status: killed ? -1 : p.terminationStatus, stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Starts `carecron ARGS` in a folder without waiting: stderr appended to `log` (created if
    /// missing), stdout discarded; the caller stops it.
    static func start(_ args: [String], in folder: URL, environment: [String: String] = [:], log: URL) throws -> Process {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let h = try FileHandle(forWritingTo: log)
        h.seekToEndOfFile()
        p.standardError = h
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Waits until a started service answers `/healthz`; a busy CI machine may take far longer
    /// than a quiet one to migrate and bind, so the wait is long and its failure names the log.
    static func waitUntilServing(port: Int, log: URL, within seconds: Double = 90) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? RawHTTP.send(port: port, "GET", "/healthz", timeout: 5).status) == 200 { return }
            usleep(100_000)
        }
        throw TestServer.ServerError(message: "the service on port \(port) did not answer /healthz within \(Int(seconds)) s; log:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// Changes the config.json of a test's own shop folder.
    static func editConfig(_ folder: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: url)
    }

    /// A copy of the shipped config.json and jobs/ in a temporary folder, so that tests can
    /// break them without touching the repository.
    static func shopFolder(at folder: URL? = nil) throws -> URL {
        let dir = folder ?? temporaryFolder("carecron-shop")
        let fm = FileManager.default
        try fm.copyItem(at: packageRoot.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        try fm.copyItem(at: packageRoot.appendingPathComponent("jobs"), to: dir.appendingPathComponent("jobs"))
        try fm.copyItem(at: packageRoot.appendingPathComponent("demo"), to: dir.appendingPathComponent("demo"))
        return dir
    }
}

/// The seeded generator of `carecron bench generate`, so that random tests repeat exactly.
typealias SeededGenerator = SplitMix
