import Foundation

/// What `CSVRecordReader` and `JSONLinesRecordReader` have in common.
protocol RecordSource: AnyObject {
    func next() throws -> SourceRecord?
    var progress: (read: Int, total: Int) { get }
}

extension CSVRecordReader: RecordSource {}
extension JSONLinesRecordReader: RecordSource {}

/// Records read, checked for a repeated id and normalised, in file order, with the problems
/// found on the way.
public struct ReadBatch: Sendable {
    public struct Problem: Sendable {
        public let line: Int
        public let text: String

        public init(line: Int, text: String) {
            self.line = line
            self.text = text
        }
    }

    public var records: [(line: Int, record: NormalisedRecord)] = []
    public var problems: [Problem] = []
    /// Records read, good or bad.
    public var count = 0
    public var progress: (read: Int, total: Int) = (0, 0)
}

/// Reads and normalises an import file on a thread of its own while the caller writes the
/// batches already read: parsing a million rows and writing them to SQLite each take seconds,
/// and with two cores they need not take turns. At most `depth` batches wait, so memory stays
/// bounded whatever the file's size.
final class ReadAhead: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Result<ReadBatch, Error>] = []
    private var finished = false
    private var cancelled = false
    private let done = DispatchSemaphore(value: 0)
    private let depth = 4

    static let batchSize = 2_000

    /// Starts reading `source`; the source is not touched by the caller from now on.
    init(source: RecordSource, kind: ImportKind, normaliser: RowNormaliser) {
        // Handed over: only the reading thread uses it from here on.
        nonisolated(unsafe) let source = source
        let thread = Thread { [self] in
            defer { done.signal() }
            var seen = SeenIds()
            var batch = ReadBatch()
            do {
                while let record = try source.next() {
                    batch.count += 1
                    if let problem = record.problem {
                        batch.problems.append(.init(line: record.line, text: problem))
                    } else {
                        do {
                            let id = try normaliser.validatedId(record.fields)
                            guard seen.insert(id) else { throw FieldProblem(field: "id", reason: "\"\(id)\" appears twice in this file") }
                            batch.records.append((record.line, try normaliser.normalise(kind, record.fields)))
                        } catch let p as FieldProblem {
                            batch.problems.append(.init(line: record.line, text: p.description))
                        }
                    }
                    if batch.count == Self.batchSize {
                        batch.progress = source.progress
                        guard put(.success(batch)) else { return }
                        batch = ReadBatch()
                    }
                }
                batch.progress = source.progress
                if batch.count > 0 { _ = put(.success(batch)) }
            } catch {
                _ = put(.failure(error))
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "carecron-import-reader"
        thread.start()
    }

    private func put(_ item: Result<ReadBatch, Error>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while ready.count >= depth, !cancelled { condition.wait() }
        if cancelled { return false }
        ready.append(item)
        condition.broadcast()
        return true
    }

    /// The next batch in file order, nil after the last; rethrows what stopped the reading.
    func next() throws -> ReadBatch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty, !finished { condition.wait() }
        guard !ready.isEmpty else { return nil }
        let item = ready.removeFirst()
        condition.broadcast()
        return try item.get()
    }

    /// Stops the reading thread (after a failure to write) and waits for it to end.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        done.wait()
        done.signal()  // so that a second cancel returns at once
    }
}
