import CarecronDomain
import Foundation

/// A shared PostgreSQL database (issue 15): several `carecron run` nodes on one database.
/// `config.json` names it as `"postgres://USER@HOST:PORT/DB"` or as an object with `host` and
/// `port` (or `socket`), `user`, `password` (a secret reference, never the password itself),
/// `database`, `tls`; any other `database` value is an SQLite file, the embedded default.
public struct PostgresSettings: Sendable, Equatable {
    public enum TLS: String, Sendable, Equatable, CaseIterable {
        /// Plain connections (a unix socket, a private network).
        case disable
        /// TLS, the server's certificate checked against the system's roots.
        case require
    }

    public var host: String?
    public var port: Int
    /// A unix socket: the folder holding `.s.PGSQL.PORT`, or the socket file itself.
    public var socket: String?
    public var user: String
    public var password: SecretRef?
    public var database: String
    public var tls: TLS
    /// How long a claim on a message (a lease) lasts without being renewed: a node that dies
    /// mid-send leaves its messages to the others after this (in the database's clock).
    public var leaseSeconds: Double

    public init(host: String? = nil, port: Int = 5432, socket: String? = nil, user: String, password: SecretRef? = nil,
                database: String, tls: TLS = .disable, leaseSeconds: Double = 30) {
        self.host = host
        self.port = port
        self.socket = socket
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.leaseSeconds = leaseSeconds
    }

    /// The unix socket file, when the database is reached through one.
    public var socketPath: String? {
        guard let socket else { return nil }
        return socket.hasSuffix(".s.PGSQL.\(port)") ? socket : (socket as NSString).appendingPathComponent(".s.PGSQL.\(port)")
    }

    /// Where it is, for logs and messages (never the password).
    public var description: String {
        "postgres://\(user)@\(socket.map { "[\($0)]" } ?? host ?? "localhost"):\(port)/\(database)"
    }

    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…&host=SOCKET]`. A password written into
    /// the URL is refused: it would sit in config.json.
    static func parse(url text: String, field: Field) -> PostgresSettings? {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? "") else {
            return field.fail("not a PostgreSQL URL; write postgres://USER@HOST:PORT/DB")
        }
        if url.password != nil {
            return field.fail("a password is never written into config.json: use the object form with \"password\": {\"env\": \"VARIABLE\"}")
        }
        guard let user = url.user, !user.isEmpty else { return field.fail("name the user: postgres://USER@HOST:PORT/DB") }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty else { return field.fail("name the database: postgres://USER@HOST:PORT/DB") }
        var s = PostgresSettings(host: url.host?.isEmpty == false ? url.host : nil, port: url.port ?? 5432, user: user, database: database)
        for item in url.queryItems ?? [] {
            switch item.name {
            case "host" where item.value?.hasPrefix("/") == true: s.socket = item.value
            case "sslmode":
                switch item.value {
                case "disable": s.tls = .disable
                case "require", "verify-full": s.tls = .require
                default: return field.fail("sslmode \(item.value ?? "") is not one of disable, require, verify-full")
                }
            default:
                return field.fail("unknown URL parameter \"\(item.name)\" (known: sslmode, host for a unix socket folder)")
            }
        }
        if s.host == nil && s.socket == nil { s.host = "localhost" }
        return s
    }

    /// A URL given on the command line (`migrate-store --to`): the settings, or what is wrong with it.
    public static func parse(url text: String) -> (settings: PostgresSettings?, problems: [String]) {
        let sink = DiagnosticSink(file: "--to")
        let settings = parse(url: text, field: Field(value: .string(text), path: "$", sink: sink))
        return (settings, sink.items.map { $0.message })
    }

    /// The object form: `host`/`port` or `socket`, `user`, `password`, `database`, `tls`, `leaseSeconds`.
    static func parse(object o: ObjectField) -> PostgresSettings? {
        let host = o.optional("host")?.nonEmptyString, socket = o.optional("socket")?.nonEmptyString
        let portField = o.optional("port")
        let port = portField.map { $0.int(1...65_535) } ?? 5432
        let user = o.required("user")?.nonEmptyString, database = o.required("database")?.nonEmptyString
        let password = o.optional("password").flatMap(ConfigLoader.parseSecret)
        var tls = TLS.disable
        if let t = o.optional("tls") {
            switch t.value {
            case .bool(let b): tls = b ? .require : .disable
            case .string(let v) where TLS(rawValue: v) != nil: tls = TLS(rawValue: v)!
            default: t.report("give true, false, \"disable\" or \"require\"")
            }
        }
        var lease = 30.0
        if let l = o.optional("leaseSeconds") { lease = Double(l.int(5...600) ?? 30) }
        o.finish()
        if host != nil && socket != nil { o.field.report("give host or socket, not both") }
        guard let user, let database, let port else { return nil }
        return PostgresSettings(host: socket == nil ? (host ?? "localhost") : nil, port: port, socket: socket, user: user,
                                password: password, database: database, tls: tls, leaseSeconds: lease)
    }
}

/// Where the store lives: an SQLite file (the default) or a shared PostgreSQL database.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(URL)
    case postgres(PostgresSettings)

    /// Reads `database`: a path, a `postgres://` URL, or the PostgreSQL object; relative paths
    /// resolve against config.json's folder.
    static func parse(_ f: Field, folder: URL) -> DatabaseLocation? {
        if case .object = f.value, let o = f.object { return PostgresSettings.parse(object: o).map(DatabaseLocation.postgres) }
        guard let text = f.nonEmptyString else { return nil }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            return PostgresSettings.parse(url: text, field: f).map(DatabaseLocation.postgres)
        }
        return .sqlite(ConfigPaths.resolve(text, against: folder))
    }
}
