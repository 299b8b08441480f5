import CarecronConfig
import CarecronDomain
@testable import CarecronStore
import Foundation
import Testing

/// Seeded random and mutated inputs for the parsers marketers and shop developers feed: none may
/// crash, and every rejection must be a clear error (a small version of issue 6's fuzz run).
@Suite("Bad input, fuzzed")
struct FuzzTests {
    static let noise = Array("{}[],:\"\\ 0-9aé{{#/".utf8)

    static func mutate(_ bytes: [UInt8], _ g: inout SeededGenerator) -> [UInt8] {
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

    @Test func mutatedJobFilesGiveDiagnosticsNeverACrash() throws {
        var g = SeededGenerator(seed: 6)
        let dir = try TestSupport.shopFolder()
        let jobs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("jobs").path).sorted()
        let originals = try jobs.map { try Array(Data(contentsOf: dir.appendingPathComponent("jobs/\($0)"))) }
        var rejected = 0
        for _ in 0..<300 {
            let k = Int.random(in: 0..<jobs.count, using: &g)
            let url = dir.appendingPathComponent("jobs/\(jobs[k])")
            try Data(Self.mutate(originals[k], &g)).write(to: url)
            let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
            for d in loaded.errors {
                // Every problem names its file and a JSON path: FILE: json.path: what is wrong.
                #expect(d.description.hasPrefix("\(d.file): \(d.path): ") && !d.path.isEmpty && !d.message.isEmpty)
            }
            if !loaded.errors.isEmpty { rejected += 1 }
            try Data(originals[k]).write(to: url)
        }
        #expect(rejected > 150, "most mutations are caught (\(rejected) of 300)")
    }

    @Test func randomJSONNeverCrashesTheReader() {
        var g = SeededGenerator(seed: 7)
        let seed = Array(#"{"a": [1, -2.5e3, "x\u00e9\n", true, null, {"b": {}}], "c": "đ"}"#.utf8)
        for _ in 0..<5000 {
            let input = Self.mutate(seed, &g)
            do { _ = try JSONReader.parse(Data(input)) } catch {
                #expect(error.line >= 1 && error.column >= 1 && !error.reason.isEmpty)
            }
        }
    }

    @Test func mutatedImportRowsAreFieldProblemsNeverCrashes() throws {
        var g = SeededGenerator(seed: 8)
        let normaliser = RowNormaliser(clock: TestSupport.saigon)
        let customers = try String(contentsOf: TestSupport.basicScenario.appendingPathComponent("customers.csv"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).dropFirst().map { Array($0.utf8) }
        let orders = try String(contentsOf: TestSupport.basicScenario.appendingPathComponent("orders.csv"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).dropFirst().map { Array($0.utf8) }
        for i in 0..<4000 {
            let isCustomer = i % 2 == 0
            let source = isCustomer ? customers : orders
            let columns = isCustomer ? CustomerRow.columns : OrderRow.columns
            let line = String(decoding: Self.mutate(source[Int.random(in: 0..<source.count, using: &g)], &g), as: UTF8.self)
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var fields: [String: String] = [:]
            for (k, v) in zip(columns, values) { fields[k] = v }
            do {
                if isCustomer { _ = try normaliser.customer(fields) } else { _ = try normaliser.order(fields) }
            } catch {
                #expect(columns.contains(error.field) && !error.reason.isEmpty, "\(error)")
            }
        }
    }

    @Test func randomCronPhonesAndDurationsAreRefusedCleanly() {
        var g = SeededGenerator(seed: 9)
        let alphabet = Array("0123456789*/-,@ abcdefjmnorsuwy+()".utf8)
        for _ in 0..<3000 {
            let text = String(decoding: (0..<Int.random(in: 0...20, using: &g)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] }, as: UTF8.self)
            let start = Date(timeIntervalSince1970: 1_780_000_000)
            if let s = try? CronSchedule(text), let next = s.next(after: start, clock: TestSupport.berlin) {
                #expect(next > start, "\(text)")
            }
            if let p = try? PhoneNumber(parsing: text) { #expect(p.e164.hasPrefix("+84") && p.e164.dropFirst().allSatisfy(\.isNumber), "\(text)") }
            if let t = TimeSpan(text) { #expect(t.seconds >= 0, "\(text)") }
            if let t = TimeOfDay(text) { #expect((0..<1440).contains(t.minutes), "\(text)") }
        }
    }
}

@Suite("JSON writing")
struct JSONWritingTests {
    @Test func encodedJSONReadsBackTheSame() throws {
        var g = SeededGenerator(seed: 10)
        let alphabet: [Unicode.Scalar] = ["a", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "đ", "₫", "/", " "]
        for _ in 0..<2000 {
            let s = String(String.UnicodeScalarView((0..<Int.random(in: 0...12, using: &g)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] }))
            let value = JSONValue.ordered([("text", .string(s)), ("n", .number(Double(Int.random(in: -5...5, using: &g)) / 2)),
                                           ("list", .array([.bool(true), .null]))])
            #expect(try JSONReader.parse(value.encoded) == value)
        }
    }
}
