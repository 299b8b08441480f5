import CarecronBench
import CarecronConfig
import CarecronPostgres
import Foundation
import GRDB
import Testing

/// Every command on PostgreSQL (issue 15), through the real binary: the demo shop imported into a
/// fresh database plans, previews and reports exactly what the same shop on SQLite does.
@Suite("Commands on PostgreSQL")
struct PostgresCommandsTests {
    /// A shop folder whose config.json names a fresh PostgreSQL database (its unix socket).
    static func shop(leaseSeconds: Double? = nil) async throws -> (URL, PostgresSettings) {
        let settings = try await TestPostgres.freshDatabase()
        let folder = try TestSupport.shopFolder()
        try TestSupport.editConfig(folder) { c in
            if let leaseSeconds {
                c["database"] = ["socket": settings.socket!, "port": settings.port, "user": "postgres", "database": settings.database,
                                 "leaseSeconds": leaseSeconds]
            } else {
                c["database"] = "postgres://postgres@localhost:\(settings.port)/\(settings.database)?host=\(settings.socket!)"
            }
        }
        return (folder, settings)
    }

    func write(_ text: String, _ name: String, in folder: URL) throws -> String {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return name
    }

    @Test func importPlansAndReportsAsOnSQLite() async throws {
        let (pg, _) = try await Self.shop()
        let sqlite = try TestSupport.shopFolder()
        for folder in [pg, sqlite] {
            for kind in ["customers", "orders"] {
                let run = try TestSupport.carecron(["import", kind, "demo/\(kind).csv"], in: folder)
                #expect(run.status == 0 && run.stdout == "\(kind): 13 inserted, 0 updated, 0 unchanged, 0 skipped\n", "\(run.stdout)\(run.stderr)")
            }
        }
        let again = try TestSupport.carecron(["import", "orders", "demo/orders.csv"], in: pg)
        #expect(again.stdout == "orders: 0 inserted, 0 updated, 13 unchanged, 0 skipped\n", "a repeat changes nothing: \(again.stdout)")

        // The same shop planned on both stores: the same messages, byte for byte.
        for args in [["simulate", "--from", "2026-12-01T00:00", "--to", "2026-12-04T00:00", "--format", "jsonl"],
                     ["simulate", "--from", "2026-12-01T00:00", "--to", "2026-12-02T00:00", "--explain"],
                     ["preview", "--at", "2026-12-01T09:00", "--within", "1d", "--format", "jsonl"],
                     ["campaign", "preview", "womens-day-2010"]] {
            let onPG = try TestSupport.carecron(args, in: pg), onSQLite = try TestSupport.carecron(args, in: sqlite)
            #expect(onPG.status == 0 && onSQLite.status == 0, "\(args): \(onPG.stderr) \(onSQLite.stderr)")
            #expect(!onPG.stdout.isEmpty && onPG.stdout == onSQLite.stdout, "\(args)")
        }

        let status = try TestSupport.carecron(["status"], in: pg)
        #expect(status.status == 0 && status.stdout.contains("outbox: planned 0") && status.stdout.contains("nodes (seen in the last 24 hours; lease 30 s): none"),
                "\(status.stdout)\(status.stderr)")
        let forget = try TestSupport.carecron(["forget", "C001"], in: pg)
        #expect(forget.status == 0 && forget.stdout.contains("customer C001 forgotten"), "\(forget.stderr)")
        #expect(try TestSupport.carecron(["forget", "C001"], in: pg).stderr.contains("no customer C001"))
        for args in [["outbox", "list"], ["outbox", "send"], ["outbox", "purge"], ["campaign", "status", "womens-day-2010"]] {
            let run = try TestSupport.carecron(args, in: pg)
            #expect(run.status == 0, "\(args): \(run.stderr)")
        }
        let backup = try TestSupport.carecron(["backup", "copy.sqlite"], in: pg)
        #expect(backup.status == 2 && backup.stderr.contains("is PostgreSQL; backup works on the SQLite file") && backup.stderr.contains("pg_dump"),
                "\(backup.stderr)")
        #expect(!FileManager.default.fileExists(atPath: pg.appendingPathComponent("var/carecron.postgres").path), "no stray SQLite file")
    }

    @Test func badRowsAreNamedByLineAndStrictImportsNothing() async throws {
        let (folder, settings) = try await Self.shop()
        #expect(try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: folder).status == 0)
        let orders = try write("""
            id,customer_id,placed_at,amount,payment_method
            N1,C001,2026-12-01T09:00:00+07:00,250000,bank_transfer
            N2,C999,2026-12-01T09:00:00+07:00,250000,bank_transfer
            N3,C002,yesterday,250000,bank_transfer
            N4,C002,2026-12-01T10:00:00+07:00,120000,cod
            """, "orders.csv", in: folder)
        let strict = try TestSupport.carecron(["import", "orders", orders, "--strict"], in: folder)
        #expect(strict.status == 1 && strict.stdout.contains("nothing imported (--strict): 2 bad rows; would have been 2 inserted"), "\(strict.stdout)")
        #expect(try TestSupport.psql(settings, "SELECT count(*) FROM orders") == "0\n", "strict: nothing written")
        let run = try TestSupport.carecron(["import", "orders", orders], in: folder)
        #expect(run.status == 1 && run.stdout == "orders: 2 inserted, 0 updated, 0 unchanged, 2 skipped\n", "\(run.stdout)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("orders.csv:3: customer_id: unknown customer \"C999\"")
                && lines[1].hasPrefix("orders.csv:4: placed_at:"), "in file order: \(run.stderr)")
        #expect(try TestSupport.psql(settings, "SELECT id, amount, payment_method FROM orders ORDER BY id") == "N1|250000|bank_transfer\nN4|120000|cod\n")
        // An update and an unchanged row beside new ones, through the same staging table.
        let more = try write("""
            id,customer_id,placed_at,amount,payment_method
            N1,C001,2026-12-01T09:00:00+07:00,260000,bank_transfer
            N4,C002,2026-12-01T10:00:00+07:00,120000,cod
            N5,C003,2026-12-01T11:00:00+07:00,90000,cod
            """, "more.csv", in: folder)
        let again = try TestSupport.carecron(["import", "orders", more], in: folder)
        #expect(again.status == 0 && again.stdout == "orders: 1 inserted, 1 updated, 1 unchanged, 0 skipped\n", "\(again.stdout)\(again.stderr)")
        let broken = try write("id,full_nam\nC1,Lan\n", "broken.csv", in: folder)
        let header = try TestSupport.carecron(["import", "customers", broken], in: folder)
        #expect(header.status == 1 && header.stderr.contains("broken.csv:1: full_nam: unknown column (did you mean full_name?)"), "\(header.stderr)")
    }
}

extension PostgresCommandsTests {
    /// The import streams rows in COPY's text format: a value holding its escapes (a backslash,
    /// `\N`, `\t`) arrives as written, the same as on SQLite.
    @Test func valuesCOPYMustEscapeArriveAsWrittenAsOnSQLite() async throws {
        let (pg, settings) = try await Self.shop()
        let sqlite = try TestSupport.shopFolder()
        // Control characters are refused by the import itself; backslashes are not, and COPY
        // would read an unescaped `\N` as no value and `\t` as a tab.
        let customers = "id,full_name,phone,tier\nK1,Lê \\N Thị \\t Lan,0912345678,a\\b\nK2,Trần Văn Hùng,0987654321,\\N\n"
        let orders = "id,customer_id,placed_at,amount,payment_method,items\nQ1,K1,2026-12-01T09:00:00+07:00,250000,cod,áo \\n dài \\\\\n"
        for folder in [pg, sqlite] {
            for (kind, text) in [("customers", customers), ("orders", orders)] {
                let r = try TestSupport.carecron(["import", kind, try write(text, "\(kind).csv", in: folder)], in: folder)
                #expect(r.status == 0, "\(kind): \(r.stdout)\(r.stderr)")
            }
        }
        let onSQLite = try await GRDB.DatabaseQueue(path: sqlite.appendingPathComponent("var/carecron.sqlite").path).read { db in
            try String.fetchAll(db, sql: "SELECT full_name || '|' || coalesce(tier, '-') FROM customers ORDER BY id")
                + String.fetchAll(db, sql: "SELECT items FROM orders")
        }
        let onPG = try TestPostgres.values(settings, "SELECT full_name || '|' || coalesce(tier, '-') FROM customers ORDER BY id")
            + TestPostgres.values(settings, "SELECT items FROM orders")
        #expect(onPG == onSQLite && onPG.count == 3 && onPG[0] == #"Lê \N Thị \t Lan|a\b"# && onPG[1].hasSuffix("|\\N") && onPG[2] == #"áo \n dài \\"#, "\(onPG) against \(onSQLite)")
        let repeated = try TestSupport.carecron(["import", "customers", "customers.csv"], in: pg)
        #expect(repeated.stdout == "customers: 0 inserted, 0 updated, 2 unchanged, 0 skipped\n", "\(repeated.stdout)")
    }
}

extension PostgresCommandsTests {
    /// A first load (more rows than the table holds, from 20,000 on) builds the secondary
    /// indexes once at the end; a strict import that fails leaves them, and the rows, as they were.
    @Test func aBulkLoadRebuildsTheIndexesAndAFailedOneLeavesThemAsTheyWere() async throws {
        let (folder, settings) = try await Self.shop()
        #expect(try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: folder).status == 0)
        let indexes = "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename = 'customers' ORDER BY indexname"
        let before = try TestPostgres.values(settings, indexes)
        #expect(before.count >= 7, "\(before)")
        let header = "id,full_name,phone\n"
        let rows = (1...25_000).map { "K\($0),Nguyễn Thị Lan \($0),09\(String(format: "%08d", $0))" }
        _ = try write(header + rows.joined(separator: "\n") + "\nK0,,0900000000\n", "bad.csv", in: folder)
        let strict = try TestSupport.carecron(["import", "customers", "bad.csv", "--strict"], in: folder)
        #expect(strict.status == 1 && strict.stdout.contains("nothing imported (--strict)"), "\(strict.stdout)\(strict.stderr)")
        #expect(try TestSupport.psql(settings, "SELECT count(*) FROM customers") == "13\n")
        #expect(try TestPostgres.values(settings, indexes) == before, "the rolled-back load leaves the indexes")
        _ = try write(header + rows.joined(separator: "\n") + "\n", "good.csv", in: folder)
        let load = try TestSupport.carecron(["import", "customers", "good.csv"], in: folder)
        #expect(load.status == 0 && load.stdout == "customers: 25000 inserted, 0 updated, 0 unchanged, 0 skipped\n", "\(load.stdout)\(load.stderr)")
        #expect(try TestPostgres.values(settings, indexes) == before, "the same indexes, rebuilt")
        #expect(try TestSupport.psql(settings, "SELECT id FROM customers WHERE phone = '+84900012345'") == "K12345\n")
        // A bulk load over stored rows: the known ids updated only where a value differs.
        var bigger = rows + (25_001...30_000).map { "K\($0),Nguyễn Thị Lan \($0),09\(String(format: "%08d", $0))" }
        bigger[0] = "K1,Trần Thị Mai,0900000001"
        _ = try write(header + bigger.joined(separator: "\n") + "\n", "bigger.csv", in: folder)
        let over = try TestSupport.carecron(["import", "customers", "bigger.csv"], in: folder)
        #expect(over.stdout == "customers: 5000 inserted, 1 updated, 24999 unchanged, 0 skipped\n", "\(over.stdout)\(over.stderr)")
        let k1 = try TestSupport.psql(settings, "SELECT full_name, search_name, search_given FROM customers WHERE id = 'K1'")
        #expect(k1 == "Trần Thị Mai|tran thi mai|mai thi tran\n", "\(k1)")
        // Orders the same way: their foreign key checked once at the end, and there after it.
        let constraints = "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY conname"
        let keys = try TestPostgres.values(settings, constraints)
        #expect(keys.contains { $0.contains("FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE") }, "\(keys)")
        let orders = (1...25_000).map { "Q\($0),K\($0),2026-12-01T09:00:00+07:00,250000,cod" }
        _ = try write("id,customer_id,placed_at,amount,payment_method\n" + orders.joined(separator: "\n") + "\nQ0,NOBODY,2026-12-01T09:00:00+07:00,1,cod\n",
                      "orders.csv", in: folder)
        let placed = try TestSupport.carecron(["import", "orders", "orders.csv"], in: folder)
        #expect(placed.status == 1 && placed.stdout == "orders: 25000 inserted, 0 updated, 0 unchanged, 1 skipped\n"
                && placed.stderr.contains("orders.csv:25002: customer_id: unknown customer \"NOBODY\""), "\(placed.stdout)\(placed.stderr)")
        #expect(try TestPostgres.values(settings, constraints) == keys)
        #expect(try TestSupport.carecron(["forget", "K7"], in: folder).status == 0)
        #expect(try TestSupport.psql(settings, "SELECT count(*) FROM orders") == "24999\n", "the cascade still holds")
        #expect(try TestSupport.psql(settings, "SELECT count(*) FROM customers") == "30012\n")
    }
}

extension TestSupport {
    /// SQL on a test database, as another client would run it.
    static func psql(_ settings: PostgresSettings, _ sql: String) throws -> String { try TestPostgres.psql(settings, sql) }
}

extension PostgresCommandsTests {
    /// The password is a secret reference (here an environment variable) and travels only to the
    /// server, which asks for it (SCRAM); a wrong or missing one is named in the server's words.
    @Test func thePasswordComesFromASecretReference() async throws {
        let (folder, settings) = try await Self.shop()
        let server = try TestPostgres.server()
        let role = "shop_\(UUID().uuidString.prefix(8).lowercased())"
        var admin = settings
        admin.database = "postgres"
        try TestPostgres.psql(admin, "CREATE ROLE \(role) LOGIN PASSWORD 'mật-khẩu 1'")
        try TestPostgres.psql(admin, "ALTER DATABASE \(settings.database) OWNER TO \(role)")
        // This role alone must prove its password on the socket; the tests' own stay trusted.
        let hba = URL(fileURLWithPath: "\(server.folder)/data/pg_hba.conf")
        let rules = try String(contentsOf: hba, encoding: .utf8)
        try ("local all \(role) scram-sha-256\n" + rules).write(to: hba, atomically: false, encoding: .utf8)
        try TestPostgres.psql(admin, "SELECT pg_reload_conf()")
        try TestSupport.editConfig(folder) { c in
            c["database"] = ["socket": settings.socket!, "port": settings.port, "user": role, "database": settings.database,
                             "password": ["env": "CARECRON_TEST_PG_PASSWORD"]]
        }
        #expect(!(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8)).contains("mật-khẩu"))
        let good = try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: folder,
                                            environment: ["CARECRON_TEST_PG_PASSWORD": "mật-khẩu 1"])
        #expect(good.status == 0 && good.stdout.contains("13 inserted"), "\(good.stdout)\(good.stderr)")
        let wrong = try TestSupport.carecron(["status"], in: folder, environment: ["CARECRON_TEST_PG_PASSWORD": "wrong"])
        #expect(wrong.status == 1 && wrong.stderr.contains("password authentication failed for user \"\(role)\""), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("wrong"), "the password is never printed")
        let missing = try TestSupport.carecron(["status"], in: folder)
        #expect(missing.status == 1 && missing.stderr.contains("database.password") && missing.stderr.contains("CARECRON_TEST_PG_PASSWORD"),
                "\(missing.stderr)")
    }
}
