import CarecronConfig
import CarecronDomain
import Foundation
import NIOHTTP1

/// Builds the senders config.json names, resolving their secrets.
public enum SenderFactory {
    /// Every sender of the configuration; a sender that cannot be built is reported, not fatal
    /// here: the service refuses to start if a channel needs it, and after a reload its messages
    /// wait (Dispatcher) while `/readyz` says why.
    public static func build(_ config: ShopConfig, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (senders: [String: any Sender], problems: [SenderProblem]) {
        var senders: [String: any Sender] = [:], problems: [SenderProblem] = []
        for (name, sc) in config.senders.sorted(by: { $0.key < $1.key }) {
            do { senders[name] = try build(sc, config: config, environment: environment) } catch {
                let e = error as? SenderSetupError
                problems.append(SenderProblem(sender: name, key: e?.key, reason: e?.description ?? "\(error)"))
            }
        }
        return (senders, problems)
    }

    /// A plain webhook sender, for benchmarks.
    public static func webhook(name: String, url: String, concurrency: Int) throws -> any Sender {
        WebhookSender(name: name, url: url, headers: [], body: nil, secret: nil, bearerToken: nil,
                      limits: SenderLimits(concurrency: concurrency))
    }

    /// What is wrong with the senders' settings, without resolving secrets (for `validate`).
    public static func settingProblems(_ config: ShopConfig) -> [String] {
        config.senders.sorted(by: { $0.key < $1.key }).compactMap { name, sc in
            do { _ = try build(sc, config: config, environment: [:], resolveSecrets: false); return nil } catch {
                return "senders.\(name): \(error)"
            }
        }
    }

    /// The channels' senders that cannot be built, as `FILE: senders.NAME.KEY: reason` lines:
    /// `run` refuses to start on them, with the lines `validate` prints as warnings.
    public static func channelProblems(_ config: ShopConfig, _ problems: [SenderProblem]) -> [String] {
        let used = Set(config.channels.values)
        return problems.filter { used.contains($0.sender) }.map { "\(config.file.lastPathComponent): \($0.line)" }
    }

    static func build(_ sc: SenderConfig, config: ShopConfig, environment: [String: String], resolveSecrets: Bool = true) throws -> any Sender {
        let s = Settings(sc.settings, name: sc.name)
        var secrets: [String: String] = [:]
        for (key, ref) in sc.secrets {
            if resolveSecrets {
                do { secrets[key] = try ref.resolve(relativeTo: config.folder, environment: environment) } catch {
                    throw SenderSetupError("\(error)", key: key)
                }
            } else {
                secrets[key] = "unresolved"
            }
        }
        let limits = SenderLimits(concurrency: try s.int("concurrency") ?? 8, ratePerSecond: try s.double("ratePerSecond"),
                                  maxAttempts: try s.int("maxAttempts") ?? 6, timeout: try s.double("timeout") ?? 15)
        switch sc.type {
        case "console":
            return ConsoleSender(name: sc.name, json: try s.string("format") == "json")
        case "file":
            let path = try s.required("path")
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : config.folder.appendingPathComponent(path)
            return resolveSecrets ? try FileSender(name: sc.name, url: url) : ConsoleSender(name: sc.name)
        case "exec":
            return ExecSender(name: sc.name, command: try s.required("command"), arguments: try s.strings("arguments") ?? [], limits: limits)
        case "webhook":
            let url = try s.url("url")
            return WebhookSender(name: sc.name, url: url, headers: try s.headers(), body: try s.string("body").map(RequestTemplate.init),
                                 secret: secrets["secret"], bearerToken: secrets["bearerToken"], limits: limits)
        case "sms-http":
            let method = HTTPMethod(rawValue: (try s.string("method") ?? "POST").uppercased())
            var basic: (RequestTemplate, RequestTemplate)?
            if let user = try s.string("username") {
                basic = (try RequestTemplate(user), try RequestTemplate(secrets["password"] == nil ? "x" : "{{secrets.password}}"))
            }
            return SMSHTTPSender(name: sc.name, url: try s.url("url"), method: method, headers: try s.headers(),
                                 body: try RequestTemplate(try s.required("body")), contentType: try s.string("contentType") ?? "json",
                                 successPath: try s.string("successPath"), successValue: try s.string("successValue"),
                                 idPath: try s.string("idPath"), unaccented: try s.bool("unaccented") ?? true,
                                 brandname: try s.string("brandname") ?? "", secrets: secrets, basicAuth: basic, limits: limits)
        case "zalo-zns":
            guard let token = secrets["accessToken"] else { throw SenderSetupError("accessToken is required ({\"env\": …})") }
            let base = try s.string("baseURL") ?? "https://business.openapi.zalo.me"
            let codes = try s.ints("retryCodes").map(Set.init) ?? ZaloZNSSender.defaultRetryCodes
            return ZaloZNSSender(name: sc.name, baseURL: base, accessToken: token, retryCodes: codes, limits: limits)
        case "smtp":
            let security = SMTPSender.Security(rawValue: try s.string("tls") ?? "starttls")
            guard let security else { throw SenderSetupError("tls must be starttls, implicit or none") }
            let port = try s.int("port") ?? (security == .implicit ? 465 : 587)
            let caFile = try s.string("caFile").map { $0.hasPrefix("/") ? $0 : config.folder.appendingPathComponent($0).path }
            return SMTPSender(name: sc.name, host: try s.required("host"), port: port, security: security,
                              username: try s.string("username"), password: secrets["password"], from: try s.required("from"),
                              fromName: try s.string("fromName"), caFile: caFile, limits: limits)
        default:
            throw SenderSetupError("unknown sender type \(sc.type)")
        }
    }

    /// Typed reads of a sender's settings, with errors that name the key.
    struct Settings {
        let value: JSONValue
        let name: String

        init(_ v: JSONValue, name: String) {
            value = v
            self.name = name
        }

        func string(_ key: String) throws -> String? {
            guard let v = value[key], v != .null else { return nil }
            guard case .string(let s) = v else { throw SenderSetupError("\(key) must be a string") }
            return s
        }

        func required(_ key: String) throws -> String {
            guard let s = try string(key), !s.isEmpty else { throw SenderSetupError("\(key) is required") }
            return s
        }

        func url(_ key: String) throws -> String {
            let u = try required(key)
            guard let parsed = URL(string: u), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw SenderSetupError("\(key): \"\(u)\" is not an http(s) URL")
            }
            return u
        }

        func double(_ key: String) throws -> Double? {
            guard let v = value[key], v != .null else { return nil }
            guard case .number(let d) = v, d >= 0 else { throw SenderSetupError("\(key) must be a positive number") }
            return d
        }

        func int(_ key: String) throws -> Int? { try double(key).map { Int($0) } }

        func bool(_ key: String) throws -> Bool? {
            guard let v = value[key], v != .null else { return nil }
            guard case .bool(let b) = v else { throw SenderSetupError("\(key) must be true or false") }
            return b
        }

        func strings(_ key: String) throws -> [String]? {
            guard let v = value[key], v != .null else { return nil }
            guard case .array(let items) = v else { throw SenderSetupError("\(key) must be a list of strings") }
            return try items.map { guard case .string(let s) = $0 else { throw SenderSetupError("\(key) must be a list of strings") }; return s }
        }

        func ints(_ key: String) throws -> [Int]? {
            guard let v = value[key], v != .null else { return nil }
            guard case .array(let items) = v else { throw SenderSetupError("\(key) must be a list of numbers") }
            return try items.map { guard case .number(let d) = $0 else { throw SenderSetupError("\(key) must be a list of numbers") }
                guard let n = Int(exactly: d), abs(n) < 1_000_000_000 else { throw SenderSetupError("\(key) must be a list of whole numbers, found \(d)") }
                return n
            }
        }

        func headers() throws -> [(String, String)] {
            guard let v = value["headers"], v != .null else { return [] }
            guard case .object(let pairs) = v else { throw SenderSetupError("headers must be an object") }
            return try pairs.map { pair in
                guard case .string(let s) = pair.value else { throw SenderSetupError("headers.\(pair.key) must be a string") }
                return (pair.key, s)
            }
        }
    }
}
