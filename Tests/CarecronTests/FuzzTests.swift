import CarecronBench
import CarecronConfig
import CarecronDomain
import Foundation
import Testing

/// Seeded random and mutated inputs for the pure parsers: none may crash, and what they accept
/// must make sense. Job files, CSV imports and the HTTP API are fuzzed through the real binary
/// by `carecron bench fuzz` (BenchTests).
@Suite("Bad input, fuzzed")
struct FuzzTests {
    @Test func randomJSONNeverCrashesTheReader() {
        var fuzzer = Fuzzer(seed: 7)
        let seed = Array(#"{"a": [1, -2.5e3, "x\u00e9\n", true, null, {"b": {}}], "c": "đ"}"#.utf8)
        for _ in 0..<5000 {
            let input = fuzzer.mutate(seed)
            do { _ = try JSONReader.parse(Data(input)) } catch {
                #expect(error.line >= 1 && error.column >= 1 && !error.reason.isEmpty)
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
