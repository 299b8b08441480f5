import CarecronConfig
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import Logging

/// The store config.json names, opened for a command or the service: an SQLite file (the
/// embedded default) or a shared PostgreSQL database (issue 15). Every command and the service
/// open it here, so that each works on both.
public enum StoreOpening {
    public enum Access: Sendable {
        /// Reads only: an SQLite file is opened read-only (beside a running service, on a
        /// read-only file) and never created.
        case read
        /// Writes to a store that must exist already.
        case write
        /// Writes, creating the store on first use (import, demo, the service).
        case create
    }

    /// Why a store cannot be opened, in words; `isMissing` when there is none yet.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public var isMissing = false
    }

    public static func open(_ config: ShopConfig, access: Access, log: Logger = quietLog) async throws(Failure) -> any CareStore {
        if let pg = config.postgres { return try await postgres(pg, config: config, log: log) }
        let url = config.database
        do {
            if access == .create { try Store.createFolderIfMissing(url) } else { try StoreFile.checkExists(url) }
            return try Store(url: url, readOnly: access == .read)
        } catch let e as Store.OpenError {
            throw Failure(description: e.isMissing
                ? "no database at \(url.path): import customers and orders first (carecron import, or carecron demo)"
                : e.description, isMissing: e.isMissing)
        } catch {
            throw Failure(description: StoreFile.explain(error, url))
        }
    }

    /// The shared database: connected (its password resolved from its secret reference) and
    /// migrated (several nodes starting at once migrate it once).
    public static func postgres(_ settings: PostgresSettings, config: ShopConfig, log: Logger = quietLog) async throws(Failure) -> PostgresStore {
        let password: String?
        do { password = try settings.password?.resolve(relativeTo: config.folder) } catch {
            throw Failure(description: "\(config.file.lastPathComponent): database.password: \(error)")
        }
        do {
            return PostgresStore(try await PostgresDatabase(settings, password: password, logger: log))
        } catch {
            throw Failure(description: "database \(settings.description): \(PostgresErrors.sentence(error))")
        }
    }

    /// The driver's own log for a command: only what goes wrong.
    public static var quietLog: Logger {
        var log = Logger(label: "carecron.postgres")
        log.logLevel = .warning
        return log
    }
}
