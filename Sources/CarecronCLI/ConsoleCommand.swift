import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronService
import Foundation
import HummingbirdBcrypt
import Logging

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "The marketers' console in a browser: the plan with its reasons, the jobs.",
        subcommands: [ConsoleServe.self, ConsolePasswd.self], defaultSubcommand: ConsoleServe.self)
}

struct ConsoleServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the console alone (the store and jobs/ beside it; sends only test messages); prints its URL.")
    @Option(help: "HOST:PORT to listen on; without console users, loopback only") var listen = "127.0.0.1:8081"
    @Option(help: "show the shop as of this instant (ISO 8601), e.g. to prepare a campaign day") var at: String?
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        Logs.bootstrap(config.logLevel)
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen: \"\(listen)\" must be HOST:PORT, e.g. 127.0.0.1:8081")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let store = try await options.openStore(config)
        let clock = try at.map { text in
            let instant = try Instants.parse(text, "--at", config.clock)
            return WallClock { instant }
        } ?? .system
        let console: StandaloneConsole
        do {
            console = try StandaloneConsole(configURL: options.url, config: config, store: store, host: host, port: port, clock: clock)
        } catch {
            for line in error.lines { Console.error(line) }
            throw ExitCode(error.exitCode)
        }
        // Written at once, not buffered: whoever started it (a test, a script) waits for this line.
        FileHandle.standardOutput.write(Data("console: \(console.url)\n".utf8))
        try await console.application(log: Logger(label: "carecron")).runService()
    }
}

struct ConsolePasswd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd", abstract: "Print the bcrypt hash of a password for config.json's console.users.USER.passwordHash.",
        discussion: "The password is read from the terminal without echo, or from standard input's first line.")
    @Argument(help: "the user's name") var user: String

    func run() async throws {
        let password: String
        if isatty(STDIN_FILENO) != 0, let typed = getpass("password for \(user): ") {
            password = String(cString: typed)
        } else {
            password = readLine(strippingNewline: true) ?? ""
        }
        guard password.count >= 8 else {
            Console.error("a console password needs at least 8 characters")
            throw ExitCode(2)
        }
        print(Bcrypt.hash(password, cost: 12))
    }
}
