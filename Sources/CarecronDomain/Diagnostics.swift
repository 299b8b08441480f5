import Foundation

/// One problem found in a configuration file: `FILE: json.path: what is wrong`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    public let file: String
    public let path: String
    public let message: String
    public let severity: Severity
    /// The message as a sentence of the catalogue, where it has one: the console says it in
    /// the page's language (`message` is its English, for `validate` and the log).
    public let sentence: Sentence?

    public init(file: String, path: String, message: String, severity: Severity, sentence: Sentence? = nil) {
        self.file = file
        self.path = path
        self.message = message
        self.severity = severity
        self.sentence = sentence
    }

    /// The message in a language: the catalogue's sentence, else the English as written.
    public func text(_ language: Language) -> String { sentence?.text(language) ?? message }

    public var description: String {
        "\(file): \(path): \(severity == .warning ? "warning: " : "")\(message)"
    }
}

/// Collects the problems of one file as it is read.
public final class DiagnosticSink {
    public let file: String
    public private(set) var items: [Diagnostic] = []
    /// Reads a file a job file names (a campaign's list of customers), relative to config.json;
    /// given by the loader, so that the domain itself does no I/O. Nil: no file can be read.
    public var readText: (@Sendable (String) throws -> String)?

    public init(file: String, readText: (@Sendable (String) throws -> String)? = nil) {
        self.file = file
        self.readText = readText
    }

    public func error(_ path: String, _ message: String) {
        items.append(Diagnostic(file: file, path: path, message: message, severity: .error))
    }

    public func error(_ path: String, _ sentence: Sentence) {
        items.append(Diagnostic(file: file, path: path, message: sentence.description, severity: .error, sentence: sentence))
    }

    public func warning(_ path: String, _ sentence: Sentence) {
        items.append(Diagnostic(file: file, path: path, message: sentence.description, severity: .warning, sentence: sentence))
    }

    public func warning(_ path: String, _ message: String) {
        items.append(Diagnostic(file: file, path: path, message: message, severity: .warning))
    }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }
}

/// A value at a JSON path, read with typed accessors that report what is wrong and return nil.
public struct Field {
    public let value: JSONValue
    public let path: String
    public let sink: DiagnosticSink

    public init(value: JSONValue, path: String, sink: DiagnosticSink) {
        self.value = value
        self.path = path
        self.sink = sink
    }

    public func child(_ key: String, _ v: JSONValue) -> Field {
        Field(value: v, path: path == "$" ? key : "\(path).\(key)", sink: sink)
    }

    public func report(_ message: String) { sink.error(path, message) }
    public func report(_ sentence: Sentence) { sink.error(path, sentence) }

    public func fail<T>(_ message: String) -> T? {
        sink.error(path, message)
        return nil
    }

    public func fail<T>(_ sentence: Sentence) -> T? {
        sink.error(path, sentence)
        return nil
    }

    private func wrongType<T>(_ expected: String) -> T? {
        fail(Sentence("check.wrong_type", ["expected": .word("kind.\(expected)"), "found": .word("kind.\(value.kindName)")]))
    }

    public var string: String? {
        if case .string(let s) = value { return s }
        return wrongType("a string")
    }

    public var nonEmptyString: String? {
        guard let s = string else { return nil }
        return s.trimmedSpaces.isEmpty ? fail(Sentence("check.empty")) : s
    }

    public var bool: Bool? {
        if case .bool(let b) = value { return b }
        return wrongType("true or false")
    }

    public func int(_ range: ClosedRange<Int>) -> Int? {
        guard case .number(let d) = value else { return wrongType("a whole number") }
        guard d == d.rounded(), let n = Int(exactly: d) else { return fail(Sentence("check.whole_number", ["found": .text("\(d)")])) }
        return range.contains(n) ? n : fail(Sentence("check.range", ["low": .number(range.lowerBound), "high": .number(range.upperBound), "found": .number(n)]))
    }

    public var array: [Field]? {
        guard case .array(let items) = value else { return wrongType("a list") }
        return items.enumerated().map { Field(value: $1, path: "\(path)[\($0)]", sink: sink) }
    }

    public var object: ObjectField? {
        guard case .object(let pairs) = value else { return wrongType("an object") }
        return ObjectField(pairs: pairs, field: self)
    }

    public var timeOfDay: TimeOfDay? {
        guard let s = string else { return nil }
        return TimeOfDay(s) ?? fail(Sentence("check.time", ["value": .text(s)]))
    }

    public var timeSpan: TimeSpan? {
        guard let s = string else { return nil }
        return TimeSpan(s) ?? fail(Sentence("check.span", ["value": .text(s)]))
    }

    public var dailySpan: DailySpan? {
        guard let o = object else { return nil }
        let from = o.required("from")?.timeOfDay, to = o.required("to")?.timeOfDay
        o.finish()
        guard let from, let to else { return nil }
        return DailySpan(from: from, to: to)
    }

    public var cron: CronSchedule? {
        guard let s = nonEmptyString else { return nil }
        do { return try CronSchedule(s) } catch { return fail("invalid schedule \"\(s)\": \(error)") }
    }

    public func oneOf<T: RawRepresentable & CaseIterable>(_: T.Type) -> T? where T.RawValue == String {
        guard let s = string else { return nil }
        let names = T.allCases.map(\.rawValue)
        // A struct with an open set of values (JobType) accepts any raw value: only listed ones count.
        if let v = T(rawValue: s), names.contains(s) { return v }
        if let near = Suggest.closest(to: s, among: names) {
            return fail(Sentence("check.one_of_near", ["value": .text(s), "names": .list(names), "near": .text(near)]))
        }
        return fail(Sentence("check.one_of", ["value": .text(s), "names": .list(names)]))
    }
}

/// A JSON object whose keys are asked for one by one; `finish()` reports the keys nobody asked
/// for, with the nearest known key as a suggestion.
public final class ObjectField {
    public let pairs: [(key: String, value: JSONValue)]
    public let field: Field
    private var known: [String] = []

    public init(pairs: [(key: String, value: JSONValue)], field: Field) {
        self.pairs = pairs
        self.field = field
    }

    public var path: String { field.path }
    public var sink: DiagnosticSink { field.sink }
    public var keys: [String] { pairs.map(\.key) }

    public func optional(_ key: String) -> Field? {
        known.append(key)
        guard let v = pairs.first(where: { $0.key == key })?.value, v != .null else { return nil }
        return field.child(key, v)
    }

    public func required(_ key: String) -> Field? {
        if let f = optional(key) { return f }
        sink.error(path, Sentence("check.missing", ["key": .text(key)]))
        return nil
    }

    /// Marks keys as known without reading them (read elsewhere).
    public func allow(_ keys: [String]) { known.append(contentsOf: keys) }

    public func finish() {
        for (key, _) in pairs where !known.contains(key) {
            if let near = Suggest.closest(to: key, among: known) {
                field.child(key, .null).report(Sentence("check.unknown_key_near", ["key": .text(key), "near": .text(near)]))
            } else {
                field.child(key, .null).report(Sentence("check.unknown_key", ["key": .text(key)]))
            }
        }
    }
}
