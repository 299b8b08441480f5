import ArgumentParser
import CarecronConfig
import CarecronDelivery
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check config.json and every job file; print each problem as FILE: json.path: what is wrong.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let loaded = ConfigLoader.load(options.url)
        for d in loaded.diagnostics { print(d.description) }
        // Each sender's own settings (a URL, a required key), checked the way they are built.
        let senderProblems = loaded.config.map(SenderFactory.settingProblems) ?? []
        for p in senderProblems { print("\(loaded.config!.file.lastPathComponent): \(p)") }
        // Secrets this environment cannot resolve: `run` here would refuse to start on them.
        let secrets = loaded.config.map { SecretCheck.unresolved($0) } ?? []
        for d in secrets { print(d.description) }
        let users = loaded.config.map { SecretCheck.consoleUsers($0) } ?? []
        for d in users { print(d.description) }
        let errors = loaded.errors.count + senderProblems.count + users.count
        let warnings = loaded.diagnostics.count - loaded.errors.count + secrets.count
        if errors > 0 {
            print("\(errors) error(s), \(warnings) warning(s)")
            throw ExitCode(1)
        }
        let enabled = loaded.jobs.filter(\.enabled).map(\.name)
        print("ok: \(loaded.jobs.count) job(s) (\(enabled.joined(separator: ", ")) enabled), \(warnings) warning(s)")
    }
}
