import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import customers or orders from CSV (or JSON Lines, *.jsonl) into the store.",
        discussion: """
            Rows are upserted by id: importing the same file twice changes nothing. A bad row is
            reported as FILE:LINE: field: reason and skipped; the command exits 1 if any was.
            """)

    @Argument(help: "customers or orders") var kind: ImportKind
    @Argument(help: "the CSV or .jsonl file") var file: String
    @Flag(help: "Import nothing unless every row is good.") var strict = false
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        let store = try await options.openStore(config, creating: true)
        let report = try await ImportRunner.run(kind, file: file, strict: strict, store: store, config: config)
        if report.skipped > 0 { throw ExitCode(1) }
    }
}

extension ImportKind: ExpressibleByArgument {}

/// Shared by `import` and `demo`.
enum ImportRunner {
    static func run(_ kind: ImportKind, file: String, strict: Bool, store: any CareStore, config: ShopConfig) async throws -> ImportReport {
        let url = URL(fileURLWithPath: file)
        let bar = Console.stderrIsTerminal ? ProgressBar(label: "\(kind.rawValue)") : nil
        let report: ImportReport
        do {
            let source = try ImportFile(kind, file: url, displayName: file)
            let progress: (@Sendable (Int, Int) -> Void)? = bar.map { b in { @Sendable read, total in b.show(read, total) } }
            report = try await store.importFile(source, strict: strict, clock: config.clock, holdFor: config.holdFor,
                                                now: WallClock.system.now(), progress: progress)
        } catch let failure as ImportFailure {
            bar?.clear()
            Console.error(failure.description)
            Console.error("\(kind.rawValue): nothing imported")
            throw ExitCode(1)
        }
        bar?.clear()
        for p in report.problems { Console.error(p) }
        FileHandle.standardOutput.write(Data("\(kind.rawValue): \(report.summary)\n".utf8))
        return report
    }
}

final class ProgressBar: Sendable {
    let label: String
    init(label: String) { self.label = label }

    func show(_ read: Int, _ total: Int) {
        guard total > 0 else { return }
        let fraction = min(1, Double(read) / Double(total)), width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(Int(fraction * 100))%".utf8))
    }

    func clear() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
