import Foundation
import CarecronDomain

/// An import file opened for either store: a path that is no readable file, a broken header or
/// an unknown column is refused here, before anything is written, with the file's name and line.
public struct ImportFile {
    public let kind: ImportKind
    /// The file as the user named it, for every message.
    public let name: String
    /// About how many rows it holds (its size over 100 bytes).
    public let expectedRows: Int
    let source: RecordSource

    public init(_ kind: ImportKind, file: URL, displayName: String? = nil) throws(ImportFailure) {
        let name = displayName ?? file.path
        try Self.checkReadable(file, name: name)
        do {
            if file.pathExtension.lowercased() == "jsonl" {
                source = try JSONLinesRecordReader(file, kind: kind)
            } else {
                let csv = try CSVRecordReader(file, kind: kind)
                try Self.checkHeader(csv.header, kind: kind, name: name)
                source = csv
            }
        } catch let e as SourceFileError {
            throw ImportFailure("\(name):\(e.line): \(e.message)")
        } catch let e as ImportFailure {
            throw e
        } catch {
            throw ImportFailure("\(name): cannot be read")
        }
        self.kind = kind
        self.name = name
        self.expectedRows = Self.expectedRows(file)
    }

    /// Starts reading and normalising the rows on a thread of their own (`ReadAhead`); the
    /// caller writes each batch as it comes.
    public func batches(_ normaliser: RowNormaliser) -> ImportBatches { ImportBatches(ReadAhead(source: source, kind: kind, normaliser: normaliser), name: name) }

    /// A path that is no file says so in words, before a reader turns it into Cocoa's codes.
    static func checkReadable(_ file: URL, name: String) throws(ImportFailure) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) else {
            throw ImportFailure("\(name): no such file")
        }
        if isDirectory.boolValue { throw ImportFailure("\(name): is a directory, not a CSV or .jsonl file") }
        if access(file.path, R_OK) != 0 {
            throw ImportFailure("\(name): cannot be read: \(String(cString: strerror(errno))) (\(FileOwnership.ownership(file.path)))")
        }
    }

    /// From this many rows on, a file is imported as a bulk load: its table's secondary indexes
    /// are built once at the end.
    public static let bulkRows = 20_000

    /// Whether a bulk load rebuilds the indexes: only when the file brings more rows than the
    /// table holds, since rebuilding a big table's indexes for a small file costs more than it saves.
    public static func rebuildsIndexes(expectedRows: Int, present: Int) -> Bool {
        expectedRows >= bulkRows && present < expectedRows
    }

    /// About how many rows a file holds (a row of either kind is some 80 to 120 bytes).
    static func expectedRows(_ file: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0) / 100
    }

    static func checkHeader(_ header: [String], kind: ImportKind, name: String) throws(ImportFailure) {
        let known = kind.columns, required = kind.requiredColumns
        var problems: [String] = []
        for column in header where !known.contains(column) {
            let hint = Suggest.closest(to: column, among: known).map { " (did you mean \($0)?)" } ?? ""
            problems.append("\(name):1: \(SourceLimits.cut(column)): unknown column\(hint); the columns are \(known.joined(separator: ","))")
        }
        for column in required where !header.contains(column) {
            problems.append("\(name):1: \(column): required column is missing")
        }
        if Set(header).count != header.count { problems.append("\(name):1: a column appears twice in the header") }
        if !problems.isEmpty { throw ImportFailure(problems.joined(separator: "\n")) }
    }
}

/// An import file's rows, normalised, in batches and in file order.
public final class ImportBatches {
    let ahead: ReadAhead
    let name: String

    init(_ ahead: ReadAhead, name: String) {
        self.ahead = ahead
        self.name = name
    }

    /// The next batch, nil after the last; a file whose structure breaks from some line on
    /// (nothing after it can be trusted) throws naming that line.
    public func next() throws -> ImportBatch? {
        do { return try ahead.next() } catch let e as SourceFileError {
            throw ImportFailure("\(name):\(e.line): \(e.message)")
        }
    }

    /// Stops the reading (after a failure to write).
    public func cancel() { ahead.cancel() }
}

public typealias ImportBatch = ReadBatch

extension ImportReport {
    /// The problems of the batches and of their writing, back in file order, each as FILE:LINE: text.
    public mutating func setProblems(_ problems: [ReadBatch.Problem], file name: String) {
        skipped = problems.count
        self.problems = problems.sorted { $0.line < $1.line }.map { "\(name):\($0.line): \($0.text)" }
    }
}
