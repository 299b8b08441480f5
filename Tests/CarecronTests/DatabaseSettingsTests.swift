import CarecronDelivery
import CarecronBench
import CarecronConfig
import Foundation
import Testing

/// `database` in config.json (issue 15): a path keeps SQLite; a `postgres://` URL or an object
/// selects PostgreSQL, its password a secret reference only.
@Suite("Database settings")
struct DatabaseSettingsTests {
    func load(_ database: Any) throws -> (ShopConfig?, [String]) {
        let folder = try TestSupport.shopFolder()
        try TestSupport.editConfig(folder) { $0["database"] = database }
        let loaded = ConfigLoader.load(folder.appendingPathComponent("config.json"))
        return (loaded.config, loaded.diagnostics.map(\.description))
    }

    @Test func aPathIsAnSQLiteFileBesideTheConfiguration() throws {
        let (config, problems) = try load("var/shop.sqlite")
        #expect(problems.isEmpty)
        #expect(config?.postgres == nil && config?.database.lastPathComponent == "shop.sqlite")
    }

    @Test func aURLSelectsPostgreSQL() throws {
        let (config, problems) = try load("postgres://carecron@db.internal:5433/shop?sslmode=require")
        #expect(problems.isEmpty, "\(problems)")
        let pg = try #require(config?.postgres)
        #expect(pg.host == "db.internal" && pg.port == 5433 && pg.user == "carecron" && pg.database == "shop" && pg.tls == .require)
        #expect(pg.socket == nil && pg.password == nil && pg.leaseSeconds == 30)
        let (local, _) = try load("postgres://carecron@/shop?host=/run/postgresql")
        #expect(local?.postgres?.socketPath == "/run/postgresql/.s.PGSQL.5432")
    }

    @Test func theObjectFormTakesThePasswordAsASecretReference() throws {
        let (config, problems) = try load(["socket": "/run/postgresql", "user": "carecron", "database": "shop",
                                           "password": ["env": "CARECRON_DB_PASSWORD"], "tls": false, "leaseSeconds": 20])
        #expect(problems.isEmpty, "\(problems)")
        let pg = try #require(config?.postgres)
        #expect(pg.password == .env("CARECRON_DB_PASSWORD") && pg.socket == "/run/postgresql" && pg.host == nil && pg.leaseSeconds == 20)
    }

    @Test func mistakesAreNamedAtTheirPath() throws {
        #expect(try load("postgres://carecron:hunter2@db/shop").1.contains { $0.contains("database") && $0.contains("password is never written") })
        #expect(try load("postgres://db/shop").1.contains { $0.contains("database") && $0.contains("name the user") })
        #expect(try load("postgres://carecron@db/").1.contains { $0.contains("name the database") })
        #expect(try load(["user": "carecron", "database": "shop", "password": "hunter2"]).1
            .contains { $0.contains("database.password") && $0.contains("never written into config.json") })
        #expect(try load(["user": "carecron", "database": "shop", "hots": "db"]).1.contains { $0.contains("did you mean host?") })
        #expect(try load(["database": "shop"]).1.contains { $0.contains("missing required key \"user\"") })
        #expect(try load(["user": "u", "database": "d", "host": "h", "socket": "/s"]).1.contains { $0.contains("host or socket, not both") })
    }

    @Test func anUnreachableServerIsNamedAtOnceAndNoSQLiteFileIsMade() throws {
        let folder = try TestSupport.shopFolder()
        // A port nothing listens on: refused at once (the pool alone would retry for a minute).
        try TestSupport.editConfig(folder) { $0["database"] = "postgres://carecron@127.0.0.1:\(freePort())/shop" }
        let started = Date()
        for args in [["status"], ["import", "customers", "demo/customers.csv"], ["run"]] {
            let run = try TestSupport.carecron(args, in: folder)
            #expect(run.status == 1, "\(args)")
            #expect(run.stderr.contains("database postgres://carecron@127.0.0.1:") && run.stderr.contains("cannot connect")
                    && run.stderr.contains("Connection refused"), "\(args): \(run.stderr)")
        }
        #expect(Date().timeIntervalSince(started) < 20, "no waiting out a pool's retries")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("var/carecron.postgres").path), "no stray SQLite file")
    }
}
