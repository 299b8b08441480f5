import Foundation

/// A JSON document as written, keys in file order. Job files are parsed with our own strict
/// reader because Foundation's neither says where an error is (line, column) nor refuses a
/// trailing comma or a repeated key, and marketers need all three.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// "a string", "a number", … for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "true/false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// A scalar as the text of an import field (numbers without a needless ".0"); nil for lists
    /// and objects. The same for JSON Lines files and the HTTP API.
    public var fieldText: String? {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .array, .object: return nil
        }
    }

    /// Compact JSON, keys in the order given.
    public var encoded: String {
        switch self {
        case .null: return "null"
        case .bool, .number: return fieldText!
        case .string(let s): return Self.quote(s)
        case .array(let items): return "[" + items.map(\.encoded).joined(separator: ",") + "]"
        case .object(let pairs): return "{" + pairs.map { Self.quote($0.key) + ":" + $0.value.encoded }.joined(separator: ",") + "}"
        }
    }

    /// An object from ordered pairs.
    public static func ordered(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(pairs.map { (key: $0.0, value: $0.1) }) }

    /// A JSON string, escaped byte by byte over the UTF-8 (multi-byte sequences pass as they are).
    static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let pairs) = self { return pairs.first { $0.key == key }?.value }
        return nil
    }
}

public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let reason: String
    public var description: String { "invalid JSON at line \(line), column \(column): \(reason)" }

    /// In the catalogue's words: the reason read back into its code ("unexpected 'x', a value
    /// was expected"), the end of the file said in the reader's language.
    public var sentence: Sentence {
        var why = Sentence.Value.text(reason)
        if let found = Catalogue.recognise(reason, families: ["json."]) {
            let values = found.values.mapValues { $0 == .text("end of file") ? Sentence.Value.word("json.end_of_file") : $0 }
            why = .sentences([Sentence(found.code, values)])
        }
        return Sentence("json.at", ["line": .number(line), "column": .number(column), "reason": why])
    }
}

/// A strict RFC 8259 reader over UTF-8 bytes.
public struct JSONReader {
    private let bytes: [UInt8]
    private var i = 0
    /// When asked for (`lineMap`): the line each value starts on, by the JSON path diagnostics use.
    private var lines: [String: Int]?
    private var path = "$"
    private var lineStarts: [Int] = []

    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue { try parse(bytes: Array(data)) }

    public static func parse(bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var r = JSONReader(bytes: bytes)
        if r.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { r.i = 3 }
        r.skipSpace()
        let v = try r.value(depth: 0)
        r.skipSpace()
        guard r.i == r.bytes.count else { throw r.error("unexpected \(r.describeHere()) after the end of the document") }
        return v
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try parse(Data(text.utf8)) }

    /// The line (from 1) where each value of a document starts, by its path as diagnostics write
    /// it (`templates[0].text`; an object's member at the line of its key). Empty if the text is
    /// not JSON: its syntax error has its own line.
    public static func lineMap(_ text: String) -> [String: Int] {
        var r = JSONReader(bytes: Array(text.utf8))
        r.lines = ["$": 1]
        r.lineStarts = [0] + r.bytes.indices.filter { r.bytes[$0] == 0x0A }.map { $0 + 1 }
        if r.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { r.i = 3 }
        r.skipSpace()
        guard (try? r.value(depth: 0)) != nil else { return [:] }
        return r.lines ?? [:]
    }

    /// The line of a diagnostic's path: its own, or its nearest enclosing value's.
    public static func line(of path: String, in map: [String: Int]) -> Int? {
        var p = path
        while !p.isEmpty {
            if let line = map[p] { return line }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            p = String(p[..<cut])
        }
        return map["$"]
    }

    private mutating func note(_ path: String) {
        guard lines != nil else { return }
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        lines?[path] = lo + 1
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ reason: String) -> JSONSyntaxError {
        var line = 1, lineStart = 0
        for (k, b) in bytes[..<min(i, bytes.count)].enumerated() where b == 0x0A {
            line += 1
            lineStart = k + 1
        }
        let column = (String(decoding: bytes[lineStart..<min(i, bytes.count)], as: UTF8.self)).count + 1
        return JSONSyntaxError(line: line, column: column, reason: reason)
    }

    private func describeHere() -> String {
        guard i < bytes.count else { return "end of file" }
        let scalarEnd = min(bytes.count, i + 4)
        let ch = String(decoding: bytes[i..<scalarEnd], as: UTF8.self).first.map(String.init) ?? "?"
        return "'\(ch)'"
    }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < 200 else { throw error("nested too deeply") }
        guard i < bytes.count else { throw error("unexpected end of file, a value was expected") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected \(describeHere()), a value was expected")
        }
    }

    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let w = Array(word.utf8)
        guard bytes.count >= i + w.count, Array(bytes[i..<i + w.count]) == w else {
            throw error("unexpected \(describeHere()), a value was expected (strings need double quotes)")
        }
        i += w.count
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        i += 1
        var pairs: [(key: String, value: JSONValue)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw error(pairs.isEmpty ? "expected a key in double quotes, found \(describeHere())"
                                          : "expected a key in double quotes after ',', found \(describeHere()) (trailing comma?)")
            }
            let keyStart = i
            let childPath = lines == nil ? "" : (path == "$" ? "" : path + ".")
            if lines != nil { note(childPath + Self.peekKey(bytes, from: i)) }
            let key = try string()
            if pairs.contains(where: { $0.key == key }) {
                i = keyStart
                throw error("key \"\(key)\" appears twice in this object")
            }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\", found \(describeHere())") }
            i += 1
            skipSpace()
            let outer = path
            if lines != nil { path = childPath + key }
            pairs.append((key, try value(depth: depth + 1)))
            path = outer
            skipSpace()
            guard i < bytes.count else { throw error("unexpected end of file inside an object (missing '}')") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
            throw error("expected ',' or '}' after the value of \"\(key)\", found \(describeHere())")
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { throw error("trailing comma before ']'") }
            let outer = path
            if lines != nil {
                path = "\(outer)[\(items.count)]"
                note(path)
            }
            items.append(try value(depth: depth + 1))
            path = outer
            skipSpace()
            guard i < bytes.count else { throw error("unexpected end of file inside a list (missing ']')") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("expected ',' or ']' in a list, found \(describeHere())")
        }
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        i += 1
        if let plain = plainString() { return plain }
        var out = [UInt8]()
        while true {
            guard i < bytes.count else { throw error("unterminated string") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; break }
            if b < 0x20 { throw error("control character inside a string (write \\n for a new line)") }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { throw error("unterminated string") }
                let e = bytes[i]
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), i + 2 < bytes.count,
                       bytes[i + 1] == UInt8(ascii: "\\"), bytes[i + 2] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
                i += 1
                continue
            }
            out.append(b)
            i += 1
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return s
    }

    /// A string without escapes or control characters, decoded straight from the bytes (most
    /// are); nil, having read nothing, for `string()` to take it byte by byte.
    private mutating func plainString() -> String? {
        var j = i
        while j < bytes.count {
            let b = bytes[j]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 || b == UInt8(ascii: "\\") { return nil }
            j += 1
        }
        guard j < bytes.count else { return nil }
        let text: String? = bytes.withUnsafeBufferPointer { all in
            let range = UnsafeBufferPointer(rebasing: all[i..<j])
            return UTF8Check.isValid(range) ? String(decoding: range, as: UTF8.self) : nil
        }
        guard let text else { return nil }
        i = j + 1
        return text
    }

    /// A key's text without escapes, for the line map (keys with escapes are rare; they map by prefix).
    private static func peekKey(_ bytes: [UInt8], from start: Int) -> String {
        var j = start + 1
        while j < bytes.count, bytes[j] != UInt8(ascii: "\""), bytes[j] != UInt8(ascii: "\\") { j += 1 }
        return String(decoding: bytes[(start + 1)..<min(j, bytes.count)], as: UTF8.self)
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 < bytes.count, let v = UInt32(String(decoding: bytes[i + 1...i + 4], as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape")
        }
        i += 4
        return v
    }

    private mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int { let s = i; while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }; return i - s }
        guard digits() > 0 else { throw error("a number needs digits") }
        if bytes[start] == UInt8(ascii: "0") || (bytes[start] == UInt8(ascii: "-") && bytes[start + 1] == UInt8(ascii: "0")),
           i - start > (bytes[start] == UInt8(ascii: "-") ? 2 : 1) {
            i = start
            throw error("numbers may not start with 0")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { throw error("digits expected after '.'") } }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("digits expected in the exponent") }
        }
        return .number(Double(String(decoding: bytes[start..<i], as: UTF8.self)) ?? 0)
    }
}

extension JSONValue: Encodable {
    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .object(let pairs):
            var c = encoder.container(keyedBy: Key.self)
            for (key, value) in pairs { try c.encode(value, forKey: Key(stringValue: key)) }
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let n):
            var c = encoder.singleValueContainer()
            if n == n.rounded(), abs(n) < 9e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        }
    }
}
