import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Seeded random and mutated inputs for what marketers and shop developers feed carecron: job
/// files, CSV imports, the HTTP API. A crash ends the run (that is the finding); every rejection
/// must be a clear error, and anything else is counted as unclear, with an example kept.
public struct Fuzzer {
    public struct Outcome {
        public var cases = 0
        public var rejected = 0
        public var unclear = 0
        /// The first few unclear cases, to show.
        public var examples: [String] = []
        public init() {}
        mutating func unclear(_ example: @autoclosure () -> String) {
            unclear += 1
            if examples.count < 20 { examples.append(example()) }
        }
    }

    public var g: SplitMix
    public init(seed: UInt64) { g = SplitMix(seed: seed) }

    static let noise = Array("{}[],:\"\\ 0-9aé{{#/\n\r\t;".utf8)

    /// One to four byte-level changes: overwrite, delete, insert noise, cut, repeat a run.
    public mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        for _ in 0..<Int.random(in: 1...4, using: &g) where !b.isEmpty {
            let i = Int.random(in: 0..<b.count, using: &g)
            switch Int.random(in: 0..<5, using: &g) {
            case 0: b[i] = UInt8.random(in: 0...255, using: &g)
            case 1: b.remove(at: i)
            case 2: b.insert(Self.noise[Int.random(in: 0..<Self.noise.count, using: &g)], at: i)
            case 3: b = Array(b[..<i])
            default: b.insert(contentsOf: b[i..<min(b.count, i + 8)], at: i)
            }
        }
        return b
    }

    /// The whole run: `cases` split between job files (20%), CSV imports (40%) and the HTTP API
    /// of a real `carecron run` (40%), then a tenth as many amounts and dates through every entry
    /// (`values`); each target's counts recorded as `fuzz_NAME_*`. Returns
    /// the problems found (examples of unclear rejections, a dead service).
    public static func run(cases: Int, seed: UInt64, figures: Figures, source: URL) throws -> [String] {
        var fuzzer = Fuzzer(seed: seed)
        var problems: [String] = []
        func note(_ name: String, _ o: Outcome) {
            figures.record("fuzz_\(name)_cases", Double(o.cases), "cases")
            figures.record("fuzz_\(name)_rejected", Double(o.rejected), "cases")
            figures.record("fuzz_\(name)_unclear", Double(o.unclear), "cases")
            problems += o.examples.map { "\(name): \($0)" }
        }
        note("job_files", try fuzzer.jobFiles(config: source, cases: cases / 5))
        note("csv_import", try fuzzer.csvImport(samples: try samples(source), cases: cases * 2 / 5))

        let shop = try BenchShop(from: source)
        defer { shop.remove() }
        let port = freePort(), token = "fuzz-\(UUID().uuidString)", webhookSecret = "fuzz-\(UUID().uuidString)"
        try shop.enableAPI(port: port, tokenVariable: "CARECRON_FUZZ_TOKEN")
        try shop.edit { c in
            var http = c["http"] as? [String: Any] ?? [:]
            http["webhookSecret"] = ["env": "CARECRON_FUZZ_WEBHOOK_SECRET"]
            c["http"] = http
        }
        _ = try runToEnd(carecronBinary, ["import", "customers", try samplesFile(source, "customers"), "--config", shop.config.path])
        let service = try Child(carecronBinary, ["run", "--config", shop.config.path],
                                environment: ["CARECRON_FUZZ_TOKEN": token, "CARECRON_FUZZ_WEBHOOK_SECRET": webhookSecret],
                                stderr: shop.folder.appendingPathComponent("run.log").path)
        let deadline = Date().addingTimeInterval(60)
        while exchange(port: port, Self.healthz)?.status != 200 {
            guard Date() < deadline, service.isRunning else { throw BenchError("carecron run did not start its API") }
            usleep(50_000)
        }
        note("http_api", fuzzer.api(port: port, token: token, cases: cases - cases / 5 - cases * 2 / 5))
        // Issue 24: amounts and dates with their true readings, a tenth as many cases again.
        note("values", try fuzzer.values(cases: max(50, cases / 10), source: source, port: port, token: token,
                                         webhookSecret: webhookSecret, database: shop.database))
        // A crash of the in-process targets ends this run itself; the service's is counted here.
        let died = !service.isRunning
        if died { problems.append("http_api: carecron run died during the run") }
        service.signal(SIGTERM)
        _ = service.wait(seconds: 30)
        figures.record("fuzz_cases", Double(cases), "cases")
        figures.record("fuzz_crashes", died ? 1 : 0, "crashes")
        return problems
    }

    /// The demo shop's CSVs (shipped beside the config) as the seeds of the mutated files.
    static func samplesFile(_ source: URL, _ kind: String) throws -> String {
        let url = source.deletingLastPathComponent().appendingPathComponent("demo/\(kind).csv")
        guard FileManager.default.fileExists(atPath: url.path) else { throw BenchError("no \(url.path) to take sample rows from") }
        return url.path
    }

    static func samples(_ source: URL) throws -> (customers: [String], orders: [String]) {
        func lines(_ kind: String) throws -> [String] {
            try String(contentsOfFile: try samplesFile(source, kind), encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        }
        return (try lines("customers"), try lines("orders"))
    }

    // MARK: job files

    /// Mutates one job file of a copy of the shop at a time and loads the whole configuration:
    /// every problem must read `FILE: json.path: what is wrong`.
    public mutating func jobFiles(config: URL, cases: Int) throws -> Outcome {
        let shop = try BenchShop(from: config)
        defer { shop.remove() }
        let jobsFolder = shop.folder.appendingPathComponent("jobs")
        try FileManager.default.createDirectory(at: jobsFolder, withIntermediateDirectories: true)
        let loaded = ConfigLoader.load(config)
        guard let source = loaded.config?.jobsFolder else { throw BenchError("\(config.path) does not load") }
        let names = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".json") }.sorted()
        let originals = try names.map { try Array(Data(contentsOf: source.appendingPathComponent($0))) }
        for (n, o) in zip(names, originals) { try Data(o).write(to: jobsFolder.appendingPathComponent(n)) }
        try shop.setJobs(jobsFolder)
        var out = Outcome()
        for _ in 0..<cases {
            let k = Int.random(in: 0..<names.count, using: &g)
            let url = jobsFolder.appendingPathComponent(names[k])
            try Data(mutate(originals[k])).write(to: url)
            let result = ConfigLoader.load(shop.config)
            out.cases += 1
            if !result.errors.isEmpty { out.rejected += 1 }
            for d in result.errors where !(d.description.hasPrefix("\(d.file): \(d.path): ") && !d.path.isEmpty && !d.message.isEmpty) {
                out.unclear(d.description)
            }
            try Data(originals[k]).write(to: url)
        }
        return out
    }

    // MARK: CSV import

    /// Mutated CSV files (a header and a few rows of the samples) imported into a real store that
    /// already holds customers: each rejected row a `FILE:LINE: field: reason`, nothing stored lost.
    public mutating func csvImport(samples: (customers: [String], orders: [String]), cases: Int) throws -> Outcome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("carecron-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(url: folder.appendingPathComponent("fuzz.sqlite"))
        let clock = ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!
        let importer = Importer(store: store, clock: clock)
        let file = folder.appendingPathComponent("in.csv")
        // The samples' first customers, stored before any mutated file: none may go.
        try Data(samples.customers.joined(separator: "\n").utf8).write(to: file)
        _ = try importer.run(.customers, file: file)
        let kept = try store.customerCount()
        var out = Outcome()
        for i in 0..<cases {
            let kind: ImportKind = i % 2 == 0 ? .customers : .orders
            let lines = kind == .customers ? samples.customers : samples.orders
            var text = [lines[0]]
            for _ in 0..<Int.random(in: 1...4, using: &g) { text.append(lines[Int.random(in: 1..<lines.count, using: &g)]) }
            var bytes = Array(text.joined(separator: "\n").utf8)
            // Mostly the rows, now and then the header, are what gets mutated.
            if Int.random(in: 0..<10, using: &g) == 0 { bytes = mutate(bytes) } else {
                let header = Array((lines[0] + "\n").utf8)
                bytes = header + mutate(Array(bytes[header.count...]))
            }
            try Data(bytes).write(to: file)
            out.cases += 1
            do {
                let report = try importer.run(kind, file: file, strict: i % 7 == 0, displayName: "in.csv")
                if report.skipped > 0 { out.rejected += 1 }
                for p in report.problems where !Self.isRowProblem(p) { out.unclear(p) }
            } catch {
                // A file refused whole (bad header, not UTF-8) must say which file and why.
                out.rejected += 1
                let text = "\(error)"
                if !text.contains("in.csv") { out.unclear(text) }
            }
        }
        let left = try store.customerCount()
        if left < kept { out.unclear("customers stored before the run: \(kept), after: \(left)") }
        return out
    }

    /// `in.csv:LINE: field: reason`, or `in.csv:LINE: reason` for a row whose shape is wrong.
    static func isRowProblem(_ p: String) -> Bool {
        let parts = p.split(separator: ":", maxSplits: 2)
        return parts.count == 3 && parts[0] == "in.csv" && Int(parts[1]) != nil && !parts[2].trimmingCharacters(in: .whitespaces).isEmpty
    }

    // MARK: HTTP API

    /// Random and mutated requests to a running `carecron run` (its API on 127.0.0.1): no 5xx,
    /// every 4xx a JSON error naming the field, the service alive and answering at the end.
    public mutating func api(port: Int, token: String, cases: Int) -> Outcome {
        let customer = #"{"full_name":"Nguyễn Thị Lan","gender":"female","phone":"0912345678","email":"lan@example.vn","birthday":"1990-12-01","tier":"Gold","opt_out":"none"}"#
        let order = #"{"customer_id":"C001","placed_at":"2026-12-01T10:00:00+07:00","amount":350000,"payment_method":"prepaid","status":"pending","items":"Son dưỡng x1"}"#
        let payment = #"{"paid_at":"2026-12-01T11:00:00+07:00"}"#
        var out = Outcome()
        for i in 0..<cases {
            let id = "FZ\(Int.random(in: 0..<500, using: &g))"
            let (method, path, body): (String, String, String) = {
                switch Int.random(in: 0..<8, using: &g) {
                case 0: return ("PUT", "/v1/customers/\(id)", customer)
                case 1, 2: return ("PUT", "/v1/orders/\(id)", order)
                case 3: return ("POST", "/v1/orders/\(id)/\(["payment", "delivery", "cancel"][Int.random(in: 0..<3, using: &g)])", payment)
                case 4: return ("DELETE", "/v1/customers/\(id)", "")
                case 5: return (["GET", "POST", "PATCH", "PUT"][Int.random(in: 0..<4, using: &g)],
                                ["/healthz", "/readyz", "/metrics", "/v1", "/v1/orders", "/webhooks/shopify", "/x"][Int.random(in: 0..<7, using: &g)], customer)
                default: return ("PUT", "/v1/customers/\(id)", customer)
                }
            }()
            var bodyBytes = Array(body.utf8)
            if Int.random(in: 0..<4, using: &g) != 0 { bodyBytes = mutate(bodyBytes) }
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
            switch Int.random(in: 0..<10, using: &g) {
            case 0: break
            case 1: head += "Authorization: Bearer wrong-\(token)\r\n"
            default: head += "Authorization: Bearer \(token)\r\n"
            }
            var request = Array((head + "Content-Length: \(bodyBytes.count)\r\n\r\n").utf8) + bodyBytes
            // Now and then the request itself is broken: the server may refuse it, not fall over.
            let raw = i % 10 == 9
            if raw { request = mutate(request) }
            out.cases += 1
            guard let reply = Self.exchange(port: port, request) else {
                if !raw { out.unclear("no answer to \(method) \(path)") }
                continue
            }
            if reply.status >= 500 { out.unclear("\(reply.status) for \(method) \(path): \(reply.body.prefix(200))") }
            if reply.status >= 400 {
                out.rejected += 1
                if !raw, !(reply.body.contains("\"error\"") && reply.body.contains("\"reason\"")) {
                    out.unclear("\(reply.status) without a JSON reason for \(method) \(path): \(reply.body.prefix(200))")
                }
            }
        }
        if Self.exchange(port: port, Self.healthz)?.status != 200 {
            out.unclear("the service does not answer /healthz after the run")
        }
        return out
    }

    static let healthz = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)

    /// One request on its own connection; the status and body, or nil if nothing came back.
    static func exchange(port: Int, _ request: [UInt8]) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { return nil }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(fd, Int32(SHUT_WR))
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), let status = Int(text.dropFirst(9).prefix(3)) else { return nil }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }
}
