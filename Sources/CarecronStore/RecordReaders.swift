import CarecronDomain
import Foundation

/// One record of an import file, with the line it starts on. A record whose shape is wrong
/// (too many or too few fields, a field over the limit) carries the problem instead: it is
/// reported and skipped, and the rest of the file is read on.
public struct SourceRecord {
    public let line: Int
    public let fields: [String: String]
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
    private var buffer: [UInt8] = []
    private var pos = 0
    private var line = 1
    private var eof = false
    private(set) var header: [String] = []

    var progress: (read: Int, total: Int) { (file.bytesRead - (buffer.count - pos), file.size) }

    init(_ url: URL) throws {
        file = try ChunkedFile(url)
        guard let first = try nextRow() else { throw SourceFileError(line: 1, message: "the file is empty: a header row is expected") }
        if let index = first.fields.firstIndex(where: { $0.utf8.count > SourceLimits.columnNameBytes }) {
            throw SourceFileError(line: 1, message: "column \(index + 1) of the header is longer than \(SourceLimits.columnNameBytes / 1024) KB (it starts \"\(first.fields[index].prefix(40))…\"): is the first line the header?")
        }
        header = first.fields.map { $0.trimmedSpaces }
        if let h = header.first, h.hasPrefix("\u{FEFF}") { header[0] = String(h.dropFirst()) }
    }

    /// The next record keyed by header names, or nil at the end.
    func next() throws -> SourceRecord? {
        while let row = try nextRow() {
            if row.fields.count == 1, row.fields[0].isEmpty, row.tooLong == nil { continue }  // blank line
            if let index = row.tooLong {
                let column = index < header.count ? header[index] : "field \(index + 1)"
                return SourceRecord(line: row.line, fields: [:], problem: "\(column): longer than \(SourceLimits.fieldBytes / 1024) KB")
            }
            guard row.fields.count == header.count else {
                return SourceRecord(line: row.line, fields: [:], problem: "\(row.fields.count) field\(row.fields.count == 1 ? "" : "s") where the header has \(header.count)")
            }
            var dict: [String: String] = [:]
            for (k, v) in zip(header, row.fields) { dict[k] = v }
            return SourceRecord(line: row.line, fields: dict)
        }
        return nil
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
    private var buffer: [UInt8] = []
    private var pos = 0
    private var line = 0
    private var eof = false

    var progress: (read: Int, total: Int) { (file.bytesRead - (buffer.count - pos), file.size) }

    init(_ url: URL) throws { file = try ChunkedFile(url) }

    func next() throws -> SourceRecord? {
        while let raw = try nextLine() {
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            // Each line stands alone: a bad one is reported and skipped, the next is read.
            let value: JSONValue
            do { value = try JSONReader.parse(Data(raw)) } catch {
                return SourceRecord(line: line, fields: [:], problem: "not valid JSON: \(error.reason) at column \(error.column)")
            }
            guard case .object(let pairs) = value else { return SourceRecord(line: line, fields: [:], problem: "must be a JSON object") }
            var fields: [String: String] = [:]
            for (k, v) in pairs {
                guard let text = v.fieldText else {
                    return SourceRecord(line: line, fields: [:], problem: "\(SourceLimits.cut(k)): must be a string or a number")
                }
                if text.utf8.count > SourceLimits.fieldBytes {
                    return SourceRecord(line: line, fields: [:], problem: "\(SourceLimits.cut(k)): longer than \(SourceLimits.fieldBytes / 1024) KB")
                }
                fields[k] = text
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
