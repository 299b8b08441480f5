import CarecronDomain
import Foundation

/// One record of an import file, with the line it starts on. A record whose shape is wrong
/// (too many or too few fields, a field over the limit) carries the problem instead: it is
/// reported and skipped, and the rest of the file is read on.
public struct SourceRecord {
    public let line: Int
    public let fields: RecordFields
    public var problem: String? = nil
}

/// How long a field and a column name may be: a shop's data never comes near, and a broken or
/// hostile file must not make carecron hold megabytes per field or compare them.
public enum SourceLimits {
    public static let fieldBytes = 64 * 1024
    public static let columnNameBytes = 4 * 1024

    /// A long name or value as messages show it: its start, and how long it was.
    public static func cut(_ text: String, to length: Int = 40) -> String {
        text.count <= length ? text : "\(text.prefix(length))… (\(text.utf8.count) bytes)"
    }
}

public struct SourceFileError: Error, CustomStringConvertible {
    public let line: Int
    public let message: String
    public var description: String { message }
}

/// Reads a file in chunks, so that a million-row import never holds the file in memory.
final class ChunkedFile {
    private let handle: FileHandle
    private(set) var bytesRead: Int = 0
    let size: Int

    init(_ url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
        size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
    }

    deinit { try? handle.close() }

    func next() throws -> Data? {
        guard let d = try handle.read(upToCount: 1 << 20), !d.isEmpty else { return nil }
        bytesRead += d.count
        return d
    }
}

/// RFC 4180 CSV (header row, comma, double-quote quoting, CRLF or LF), streamed. Written here
/// rather than taken from a package because the importer must report the physical line of each
/// record (quoted fields may span lines) and keep up with SQLite's own `.import`.
final class CSVRecordReader {
    private let file: ChunkedFile
    private let kind: ImportKind
    private var buffer: [UInt8] = []
    private var pos = 0
    private var line = 1
    private var eof = false
    private(set) var header: [String] = []
    /// For each column of the file, its position in the kind's columns (nil: not one of them).
    private var positions: [Int?] = []
    private var scratch: [String] = []

    var progress: (read: Int, total: Int) { (file.bytesRead - (buffer.count - pos), file.size) }

    init(_ url: URL, kind: ImportKind) throws {
        file = try ChunkedFile(url)
        self.kind = kind
        guard let first = try nextRow() else { throw SourceFileError(line: 1, message: "the file is empty: a header row is expected") }
        if let index = first.fields.firstIndex(where: { $0.utf8.count > SourceLimits.columnNameBytes }) {
            throw SourceFileError(line: 1, message: "column \(index + 1) of the header is longer than \(SourceLimits.columnNameBytes / 1024) KB (it starts \"\(first.fields[index].prefix(40))…\"): is the first line the header?")
        }
        header = first.fields.map { $0.trimmedSpaces }
        if let h = header.first, h.hasPrefix("\u{FEFF}") { header[0] = String(h.dropFirst()) }
        positions = header.map { kind.columns.firstIndex(of: $0) }
    }

    /// The next record by the kind's columns, or nil at the end.
    func next() throws -> SourceRecord? {
        while true {
            let row: (line: Int, fields: [String], tooLong: Int?)
            if let plain = try plainRow() { row = (plain, scratch, nil) } else if let general = try nextRow() { row = general } else { return nil }
            if row.fields.count == 1, row.fields[0].isEmpty, row.tooLong == nil { continue }  // blank line
            if let index = row.tooLong {
                let column = index < header.count ? header[index] : "field \(index + 1)"
                return SourceRecord(line: row.line, fields: RecordFields(kind), problem: "\(column): longer than \(SourceLimits.fieldBytes / 1024) KB")
            }
            guard row.fields.count == header.count else {
                return SourceRecord(line: row.line, fields: RecordFields(kind), problem: "\(row.fields.count) field\(row.fields.count == 1 ? "" : "s") where the header has \(header.count)")
            }
            var fields = RecordFields(kind)
            for (position, value) in zip(positions, row.fields) { if let position { fields[position] = value } }
            return SourceRecord(line: row.line, fields: fields)
        }
    }

    /// The common case read at once: a whole line in the buffer, without quotes, carriage
    /// returns inside it or a field near the limit, split at its commas into `scratch`. Returns
    /// its line number, or nil (having read nothing) for the general reader to take it.
    private func plainRow() throws -> Int? {
        var newline: Int?
        while true {
            newline = buffer.withUnsafeBufferPointer { b -> Int? in
                guard pos < b.count, let hit = memchr(b.baseAddress! + pos, 0x0A, b.count - pos) else { return nil }
                return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - b.baseAddress!
            }
            if newline != nil { break }
            if !(try fill()) { break }
        }
        guard let newline, newline - pos < SourceLimits.fieldBytes else { return nil }
        scratch.removeAll(keepingCapacity: true)
        let plain = try buffer.withUnsafeBufferPointer { b -> Bool in
            var end = newline
            if end > pos, b[end - 1] == 0x0D { end -= 1 }
            var start = pos
            for i in pos...end {
                let c = i < end ? b[i] : UInt8(ascii: ",")
                if c == UInt8(ascii: "\"") || c == 0x0D { return false }
                guard c == UInt8(ascii: ",") else { continue }
                let bytes = UnsafeBufferPointer(rebasing: b[start..<i])
                guard UTF8Check.isValid(bytes) else {
                    throw SourceFileError(line: line, message: "field \(scratch.count + 1) is not valid UTF-8")
                }
                scratch.append(String(decoding: bytes, as: UTF8.self))
                start = i + 1
            }
            return true
        }
        guard plain else { return nil }
        pos = newline + 1
        line += 1
        return line - 1
    }

    private func fill() throws -> Bool {
        if eof { return false }
        guard let chunk = try file.next() else { eof = true; return false }
        if pos > 0 { buffer.removeFirst(pos); pos = 0 }
        buffer.append(contentsOf: chunk)
        return true
    }

    private func peek() throws -> UInt8? {
        if pos >= buffer.count, !(try fill()) { return nil }
        return buffer[pos]
    }

    /// The next physical record; `tooLong` is the index of the first field cut at the limit.
    private func nextRow() throws -> (line: Int, fields: [String], tooLong: Int?)? {
        guard try peek() != nil else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false, wasQuoted = false
        var tooLong: Int?
        let limit = SourceLimits.fieldBytes
        func finishField() throws {
            guard let s = String(validating: field, as: UTF8.self) else {
                throw SourceFileError(line: startLine, message: "field \(fields.count + 1) is not valid UTF-8")
            }
            fields.append(s)
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while let b = try peek() {
            pos += 1
            if field.count >= limit {
                // Read on to the field's end without keeping it: the row is reported, not stored.
                if tooLong == nil { tooLong = fields.count }
                field.removeAll(keepingCapacity: true)
                field.append(UInt8(ascii: "x"))  // not empty: a quote after this is not a field's opening one
            }
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if try peek() == UInt8(ascii: "\"") { pos += 1; field.append(b) } else { quoted = false }
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                continue
            }
            switch b {
            case UInt8(ascii: ","):
                try finishField()
            case UInt8(ascii: "\""):
                guard field.isEmpty, !wasQuoted else {
                    throw SourceFileError(line: line, message: "a quote inside an unquoted field (quote the whole field and double inner quotes)")
                }
                quoted = true
                wasQuoted = true
            case 0x0D:
                continue
            case 0x0A:
                line += 1
                try finishField()
                return (startLine, fields, tooLong)
            default:
                field.append(b)
            }
        }
        if quoted { throw SourceFileError(line: startLine, message: "a quoted field is never closed") }
        try finishField()
        return (startLine, fields, tooLong)
    }
}

/// JSON Lines: one object a line with the CSV's column names as keys.
final class JSONLinesRecordReader {
    private let file: ChunkedFile
    private let kind: ImportKind
    private let positions: [String: Int]
    private var buffer: [UInt8] = []
    private var pos = 0
    private var line = 0
    private var eof = false

    var progress: (read: Int, total: Int) { (file.bytesRead - (buffer.count - pos), file.size) }

    init(_ url: URL, kind: ImportKind) throws {
        file = try ChunkedFile(url)
        self.kind = kind
        positions = Dictionary(uniqueKeysWithValues: kind.columns.enumerated().map { ($1, $0) })
    }

    func next() throws -> SourceRecord? {
        while let raw = try nextLine() {
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            // Each line stands alone: a bad one is reported and skipped, the next is read.
            let value: JSONValue
            do { value = try JSONReader.parse(bytes: Array(raw)) } catch {
                return SourceRecord(line: line, fields: RecordFields(kind), problem: "not valid JSON: \(error.reason) at column \(error.column)")
            }
            guard case .object(let pairs) = value else { return SourceRecord(line: line, fields: RecordFields(kind), problem: "must be a JSON object") }
            var fields = RecordFields(kind)
            for (k, v) in pairs {
                guard let text = v.fieldText else {
                    return SourceRecord(line: line, fields: RecordFields(kind), problem: "\(SourceLimits.cut(k)): must be a string or a number")
                }
                if text.utf8.count > SourceLimits.fieldBytes {
                    return SourceRecord(line: line, fields: RecordFields(kind), problem: "\(SourceLimits.cut(k)): longer than \(SourceLimits.fieldBytes / 1024) KB")
                }
                // Keys of no column are not stored, as before; a repeated key keeps its last value.
                if let position = positions[k] { fields[position] = text }
            }
            return SourceRecord(line: line, fields: fields)
        }
        return nil
    }

    private func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[pos...].firstIndex(of: 0x0A) {
                defer { pos = nl + 1 }
                line += 1
                return buffer[pos..<nl]
            }
            if eof {
                guard pos < buffer.count else { return nil }
                defer { pos = buffer.count }
                line += 1
                return buffer[pos...]
            }
            if let chunk = try file.next() {
                buffer.removeFirst(pos)
                pos = 0
                buffer.append(contentsOf: chunk)
            } else {
                eof = true
            }
        }
    }
}
