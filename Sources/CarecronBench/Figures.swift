import CarecronDomain
import Foundation

/// The figures of a bench run: each printed as a line `name: value unit` as it is measured, and
/// kept for the JSON file (merged into an existing one, so that separate runs add up).
public final class Figures: @unchecked Sendable {
    public struct Figure: Sendable {
        public let name: String
        public let value: Double
        public let unit: String
    }

    private let lock = NSLock()
    public private(set) var all: [Figure] = []
    let json: URL?

    public init(json: URL?) { self.json = json }

    public func record(_ name: String, _ value: Double, _ unit: String) {
        lock.withLock { all.append(Figure(name: name, value: value, unit: unit)) }
        print("\(name): \(Self.format(value)) \(unit)")
        fflush(nil)
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return abs(v) >= 100 ? String(format: "%.1f", v) : abs(v) >= 1 ? String(format: "%.3f", v) : String(format: "%.4f", v)
    }

    /// Writes `{"figures": {name: {"value": v, "unit": u}, …}, "machine": {…}}`, one figure a
    /// line, keeping the figures of earlier runs that this one did not measure again.
    public func write() throws {
        guard let json else { return }
        var figures: [(key: String, value: JSONValue)] = []
        if let data = try? Data(contentsOf: json), case .object(let o)? = try? JSONReader.parse(data),
           case .object(let old)? = o.first(where: { $0.key == "figures" })?.value {
            figures = old
        }
        for f in lock.withLock({ all }) {
            let entry = JSONValue.object([("value", .number(f.value)), ("unit", .string(f.unit))])
            if let i = figures.firstIndex(where: { $0.key == f.name }) { figures[i].value = entry } else { figures.append((f.name, entry)) }
        }
        let machine = JSONValue.object([
            ("cores", .number(Double(ProcessInfo.processInfo.activeProcessorCount))),
            ("memory_bytes", .number(Double(ProcessInfo.processInfo.physicalMemory))),
            ("written_at", .string(ISO8601DateFormatter().string(from: Date()))),
        ])
        let lines = figures.map { "    \(JSONValue.string($0.key).encoded): \($0.value.encoded)" }
        let text = "{\n  \"figures\": {\n" + lines.joined(separator: ",\n") + "\n  },\n  \"machine\": \(machine.encoded)\n}\n"
        try FileManager.default.createDirectory(at: json.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: json)
        print("figures written to \(json.path)")
    }
}
