import CarecronStorage
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema, versioned like the SQLite store's and identical to it in meaning:
/// times are whole seconds since 1970 in carecron's clock, except a claim's lease, which runs on
/// the database's clock (`now()`), never a node's. Every version is applied in one transaction
/// holding an advisory lock, so nodes starting together apply each version once.
public enum PostgresMigrations {
    /// The advisory lock's key: "carecron" in ASCII, read as a number.
    static let lockKey: Int64 = 0x6361_7265_6372_6F6E

    /// (version, statements) in order; a version once shipped never changes.
    static let versions: [(String, [String])] = [
        ("v1-store", [
            """
            CREATE TABLE customers (
                id TEXT PRIMARY KEY,
                full_name TEXT NOT NULL,
                gender TEXT NOT NULL DEFAULT 'unknown' CHECK (gender IN ('female', 'male', 'unknown')),
                phone TEXT, email TEXT, birthday TEXT,
                birth_md TEXT,
                zalo_user_id TEXT, tier TEXT,
                opt_out TEXT NOT NULL DEFAULT 'none' CHECK (opt_out IN ('none', 'marketing', 'all')),
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX customers_birth_md ON customers (birth_md) WHERE birth_md IS NOT NULL",
            "CREATE INDEX customers_phone ON customers (phone)",
            """
            CREATE TABLE orders (
                id TEXT PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
                placed_at BIGINT NOT NULL,
                amount BIGINT NOT NULL CHECK (amount >= 0),
                payment_method TEXT NOT NULL, status TEXT NOT NULL,
                paid_at BIGINT, delivered_at BIGINT, cancelled_at BIGINT,
                items TEXT NOT NULL DEFAULT '', agent TEXT,
                expired_at BIGINT, paid_after_expiry INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, source_updated_at BIGINT)
            """,
            "CREATE INDEX orders_unpaid_placed ON orders (placed_at) WHERE paid_at IS NULL AND status = 'pending' AND expired_at IS NULL",
            "CREATE INDEX orders_placed ON orders (placed_at)",
            "CREATE INDEX orders_delivered ON orders (delivered_at) WHERE delivered_at IS NOT NULL",
            "CREATE INDEX orders_paid ON orders (paid_at) WHERE paid_at IS NOT NULL",
            "CREATE INDEX orders_customer ON orders (customer_id)",
            """
            CREATE TABLE outbox (
                id BIGSERIAL PRIMARY KEY,
                idempotency_key TEXT NOT NULL UNIQUE,
                job TEXT NOT NULL,
                customer_id TEXT REFERENCES customers (id) ON DELETE CASCADE,
                order_ids TEXT NOT NULL DEFAULT '',
                reminder INTEGER,
                channel TEXT NOT NULL, sender TEXT, recipient TEXT NOT NULL, subject TEXT, body TEXT NOT NULL, payload TEXT,
                state TEXT NOT NULL DEFAULT 'planned'
                    CHECK (state IN ('planned', 'sending', 'sent', 'failed', 'dead', 'cancelled', 'paused')),
                attempts INTEGER NOT NULL DEFAULT 0,
                due_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL,
                last_error TEXT, provider_message_id TEXT,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, sent_at BIGINT,
                fallbacks TEXT NOT NULL DEFAULT '[]',
                priority INTEGER NOT NULL DEFAULT 0,
                campaign TEXT,
                expires_at BIGINT,
                -- the claim: who holds it, its token (grows with every claim), and until when (the database's clock)
                lease_owner TEXT,
                lease_token BIGINT,
                lease_expires_at TIMESTAMPTZ)
            """,
            "CREATE SEQUENCE outbox_lease_token",
            "CREATE INDEX outbox_claim ON outbox (priority, next_attempt_at, id) WHERE state IN ('planned', 'failed')",
            "CREATE INDEX outbox_leases ON outbox (lease_expires_at) WHERE state = 'sending'",
            "CREATE INDEX outbox_state ON outbox (state)",
            "CREATE INDEX outbox_customer ON outbox (customer_id)",
            "CREATE INDEX outbox_campaign ON outbox (campaign) WHERE campaign IS NOT NULL",
            """
            CREATE TABLE outbox_keys (
                key TEXT PRIMARY KEY,
                outbox_id BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
                planned_at BIGINT NOT NULL)
            """,
            "CREATE INDEX outbox_keys_outbox ON outbox_keys (outbox_id)",
            """
            CREATE TABLE outbox_purged (
                job TEXT NOT NULL, state TEXT NOT NULL, messages BIGINT NOT NULL, last_planned_at BIGINT NOT NULL,
                PRIMARY KEY (job, state))
            """,
            """
            CREATE TABLE job_runs (
                id BIGSERIAL PRIMARY KEY, job TEXT NOT NULL, started_at BIGINT NOT NULL, finished_at BIGINT,
                outcome TEXT, planned INTEGER NOT NULL DEFAULT 0, detail TEXT)
            """,
            "CREATE TABLE erasures (day TEXT PRIMARY KEY, customers INTEGER NOT NULL DEFAULT 0, messages INTEGER NOT NULL DEFAULT 0)",
            "CREATE TABLE service_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE webhook_events (id TEXT PRIMARY KEY, topic TEXT NOT NULL, received_at BIGINT NOT NULL)",
            """
            CREATE TABLE audit (
                id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, "user" TEXT NOT NULL, action TEXT NOT NULL,
                subject TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')
            """,
            """
            CREATE TABLE campaign_runs (
                id TEXT PRIMARY KEY, job TEXT NOT NULL, occasion TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('writing', 'paused', 'cancelled')),
                complete INTEGER NOT NULL DEFAULT 0, base_at BIGINT, deadline_at BIGINT,
                audience INTEGER NOT NULL DEFAULT 0, opted_out INTEGER NOT NULL DEFAULT 0, cursor TEXT,
                written INTEGER NOT NULL DEFAULT 0, planned INTEGER NOT NULL DEFAULT 0, skipped TEXT NOT NULL DEFAULT '{}',
                paused_at BIGINT, updated_at BIGINT NOT NULL)
            """,
            // The nodes sharing the database: a random id per process (never the hostname), its
            // host for people, and its last heartbeat in the database's clock.
            """
            CREATE TABLE nodes (
                id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
                started_at TIMESTAMPTZ NOT NULL DEFAULT now(), heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """,
            // The planner's leadership: one row per role, held by a node for a term until it expires.
            """
            CREATE TABLE leadership (
                role TEXT PRIMARY KEY, holder TEXT NOT NULL, term BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)
            """,
        ]),
        // "Something changed": a sequence every write to the planner's tables advances, once a
        // statement (a sequence never waits for another transaction, so writers never queue on it).
        ("v2-data-version", [
            "CREATE SEQUENCE data_version",
            """
            CREATE FUNCTION carecron_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM nextval('data_version'); RETURN NULL; END $$
            """,
            "CREATE TRIGGER customers_changed AFTER INSERT OR UPDATE OR DELETE ON customers FOR EACH STATEMENT EXECUTE FUNCTION carecron_data_changed()",
            "CREATE TRIGGER orders_changed AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH STATEMENT EXECUTE FUNCTION carecron_data_changed()",
            "CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE OR DELETE ON outbox FOR EACH STATEMENT EXECUTE FUNCTION carecron_data_changed()",
        ]),
        // The retention rule's reading order: finished messages by age, purged messages' keys by age.
        ("v3-retention", [
            "CREATE INDEX outbox_finished ON outbox (updated_at) WHERE state IN ('sent', 'cancelled', 'dead')",
            "CREATE INDEX outbox_keys_detached ON outbox_keys (planned_at) WHERE outbox_id IS NULL",
        ]),
        // When each term began (the database's clock): how long a hand-over took, for `status` and the bench.
        ("v4-leadership-since", [
            "ALTER TABLE leadership ADD COLUMN acquired_at TIMESTAMPTZ NOT NULL DEFAULT now()",
        ]),
        // A campaign occasion's purged messages by state, so that its status keeps its totals.
        ("v5-campaign-purged", [
            """
            CREATE TABLE campaign_purged (
                campaign TEXT NOT NULL, state TEXT NOT NULL, messages BIGINT NOT NULL, PRIMARY KEY (campaign, state))
            """,
        ]),
        // Customers found the way a person looks for them (the console's search), as in SQLite's
        // v12. Byte order ("C"): the search reads prefixes as ranges. The folded forms of rows
        // written before are filled by `fillCustomerSearch` (the folding is carecron's, not SQL's).
        ("v6-customer-search", [
            "ALTER TABLE customers ADD COLUMN search_name TEXT COLLATE \"C\"",
            "ALTER TABLE customers ADD COLUMN search_given TEXT COLLATE \"C\"",
            "CREATE INDEX customers_search_name ON customers (search_name)",
            "CREATE INDEX customers_search_given ON customers (search_given)",
            "CREATE INDEX customers_unsearched ON customers (id) WHERE search_name IS NULL",
            "CREATE INDEX customers_email ON customers (lower(email)) WHERE email IS NOT NULL",
        ]),
        // Delivery receipts, as in SQLite's v13.
        ("v7-receipts", [
            "ALTER TABLE outbox ADD COLUMN delivery TEXT CHECK (delivery IN ('delivered', 'undelivered'))",
            "ALTER TABLE outbox ADD COLUMN delivered_at BIGINT",
            "ALTER TABLE outbox ADD COLUMN delivery_reason TEXT",
            "CREATE INDEX outbox_provider ON outbox (sender, provider_message_id) WHERE provider_message_id IS NOT NULL",
        ]),
        // After sending, as in SQLite's v14: the wait for a receipt, the receipts' counts, replies.
        ("v8-after-sending", [
            "ALTER TABLE outbox ADD COLUMN receipt_due_at BIGINT",
            "ALTER TABLE outbox ADD COLUMN fallback_note TEXT",
            "ALTER TABLE outbox ADD COLUMN variant INTEGER",
            "CREATE INDEX outbox_awaiting_receipt ON outbox (receipt_due_at) WHERE receipt_due_at IS NOT NULL",
            "CREATE TABLE delivery_counts (channel TEXT NOT NULL, status TEXT NOT NULL, messages BIGINT NOT NULL, PRIMARY KEY (channel, status))",
            """
            INSERT INTO delivery_counts (channel, status, messages)
                SELECT channel, delivery, COUNT(*) FROM outbox WHERE delivery IS NOT NULL GROUP BY channel, delivery
            """,
            """
            CREATE TABLE replies (
                id BIGSERIAL PRIMARY KEY, sender TEXT NOT NULL, channel TEXT NOT NULL, provider_message_id TEXT,
                from_address TEXT NOT NULL, customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE, text TEXT NOT NULL,
                received_at BIGINT NOT NULL, opt_out TEXT CHECK (opt_out IN ('marketing', 'all')), cancelled INTEGER NOT NULL DEFAULT 0,
                UNIQUE (sender, provider_message_id))
            """,
            "CREATE INDEX replies_customer ON replies (customer_id, received_at) WHERE customer_id IS NOT NULL",
            "CREATE INDEX replies_received ON replies (received_at)",
            "CREATE INDEX customers_zalo ON customers (zalo_user_id) WHERE zalo_user_id IS NOT NULL",
        ]),
        // Surveys' answers, as in SQLite's v15.
        ("v9-surveys", [
            """
            CREATE TABLE survey_answers (
                id BIGSERIAL PRIMARY KEY, job TEXT NOT NULL, customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                order_id TEXT NOT NULL DEFAULT '', measure TEXT NOT NULL CHECK (measure IN ('csat', 'ces', 'nps')), score INTEGER NOT NULL,
                source TEXT NOT NULL CHECK (source IN ('reply', 'page', 'rating')), answered_at BIGINT NOT NULL, low INTEGER NOT NULL,
                UNIQUE (job, customer_id, order_id))
            """,
            "CREATE INDEX survey_answers_at ON survey_answers (answered_at)",
            "CREATE INDEX survey_answers_low ON survey_answers (answered_at) WHERE low = 1",
        ]),
        // The outcomes' sums, as in SQLite's v16 (`PostgresOutcomeLedger`).
        ("v10-outcome-ledger", PostgresOutcomeLedger.migration),
        // The care team's calls and agents' days away, as in SQLite's v17.
        ("v11-calls", PostgresStore.callsMigration),
        // The care team's conversations, as in SQLite's v18.
        ("v12-conversations", PostgresStore.conversationsMigration),
    ]

    /// Every version's name, in order.
    public static var names: [String] { versions.map(\.0) }

    /// Applies every version not applied yet; safe when several nodes start at once.
    public static func run(on client: PostgresClient, logger: Logger) async throws {
        do { try await apply(on: client, logger: logger) } catch let e as PostgresTransactionError {
            if let newer = e.closureError as? NewerSchema { throw newer }
            throw e
        }
        try await fillCustomerSearch(on: client, logger: logger)
    }

    /// Folds the names of customers written before v6 (or by an older node), a batch at a time.
    static func fillCustomerSearch(on client: PostgresClient, logger: Logger) async throws {
        while true {
            var batch: [[String: Any?]] = []
            for try await (id, name) in try await client.query(
                "SELECT id, full_name FROM customers WHERE search_name IS NULL LIMIT 5000", logger: logger).decode((String, String).self) {
                let (folded, given) = CustomerSearchSQL.columns(forName: name)
                batch.append(["id": id, "search_name": folded, "search_given": given])
            }
            guard !batch.isEmpty else { return }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: batch), as: UTF8.self)
            try await client.query("""
                UPDATE customers AS c SET search_name = r.search_name, search_given = r.search_given
                FROM jsonb_to_recordset(\(json)::jsonb) AS r(id text, search_name text, search_given text) WHERE c.id = r.id
                """, logger: logger)
            logger.info("customers made searchable", metadata: ["count": "\(batch.count)"])
        }
    }

    private static func apply(on client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { db in
            // Held until the transaction ends: a second node waits here, then finds the versions applied.
            try await db.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await db.query("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                               logger: logger)
            var applied = Set<String>()
            for try await version in try await db.query("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
                applied.insert(version)
            }
            // A newer carecron's schema is not this one's to write: refused, both versions named.
            let unknown = applied.subtracting(names).sorted()
            guard unknown.isEmpty else { throw NewerSchema(unknown: unknown, known: names.last!) }
            for (version, statements) in versions where !applied.contains(version) {
                for sql in statements { try await db.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                try await db.query("INSERT INTO schema_migrations (version) VALUES (\(version))", logger: logger)
                logger.info("database migrated", metadata: ["version": "\(version)"])
            }
        }
    }

    /// The database was migrated by a newer carecron.
    public struct NewerSchema: Error, CustomStringConvertible {
        public let unknown: [String]
        public let known: String
        public var description: String {
            "the database was written by a newer carecron: its schema has \(unknown.joined(separator: ", ")), and this carecron knows up to \(known); run the newer carecron, or restore a backup this version made"
        }
    }

    /// The versions applied, in order (for `status` and the tests).
    public static func applied(on client: PostgresClient) async throws -> [String] {
        var out: [String] = []
        for try await v in try await client.query("SELECT version FROM schema_migrations").decode(String.self) {
            out.append(v)
        }
        // In their numbers' order ("v10" after "v9"; a version this release does not know last).
        func number(_ v: String) -> Int { Int(v.dropFirst().prefix { $0.isNumber }) ?? .max }
        return out.sorted { (number($0), $0) < (number($1), $1) }
    }
}
