import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The embedded store: one SQLite file (WAL, foreign keys on, mode 0600) reached through GRDB.
public final class Store: Sendable {
    /// GRDB stays inside this module: other modules use the store's methods. Tests reach the
    /// pool through `@_spi(Testing) import CarecronSQLite` to check what was written.
    @_spi(Testing) public let db: DatabasePool

    /// Changes whenever another connection (another process: an import, `carecron forget`)
    /// commits to the database; this process's own writes leave it as it was.
    /// Single-node assumption: SQLite's `PRAGMA data_version` is "something changed"; a shared
    /// database needs its own signal (a change counter, LISTEN/NOTIFY).
    public func dataVersion() throws -> Int {
        try db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA data_version") ?? 0 }
    }
    public let url: URL
    /// The seal of the last clean stop, if it still describes the file, and the last full check.
    let chain: IntegrityChain

    public struct OpenError: CodedError, CustomStringConvertible {
        public var code: ErrorCode { .storeUnavailable }
        public let description: String
        /// No database there (as opposed to one that cannot be opened).
        public var isMissing = false
    }

    public init(url: URL, readOnly: Bool = false) throws {
        self.url = url
        if readOnly { try StoreFile.checkReadable(url) } else { try Self.createIfMissing(url) }
        // Before SQLite opens it: a migration below would change the file the seal describes.
        chain = IntegrityChain(sealAtOpening: readOnly ? nil : CleanStopSeal.holding(for: url))
        SQLiteDamage.listening
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.readonly = readOnly
        // Another process (the service, an import) may hold the write lock for a moment.
        config.busyMode = .timeout(10)
        config.label = "carecron"
        do {
            db = try DatabasePool(path: readOnly ? StoreFile.readOnlyPath(url) : url.path, configuration: config)
        } catch {
            throw OpenError(description: "cannot open the database \(url.path): \(StoreFile.explain(error, url))")
        }
        try db.read { try Schema.refuseNewer($0, url) }
        if !readOnly {
            // GRDB opens a WAL database at `synchronous = NORMAL`: a commit then survives the
            // process's crash but not a power cut before the next checkpoint. The outbox's word
            // (an outcome is durable before its slot is freed, a claim before its send) needs
            // FULL: the log synced at every commit. Only the writer's connection commits.
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            do { try Schema.migrator.migrate(db) } catch {
                throw OpenError(description: "cannot bring the database \(url.path) to this carecron's schema: \(StoreFile.explain(error, url))")
            }
        }
    }

    /// The database's folder (0700), where the service also keeps its lock file.
    public static func createFolderIfMissing(_ url: URL) throws {
        let folder = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: folder.path) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// Creates the folder (0700) and the file (0600) before SQLite does, so that customers'
    /// personal data is never readable by other users, whatever the umask.
    static func createIfMissing(_ url: URL) throws {
        let fm = FileManager.default
        try createFolderIfMissing(url)
        if !fm.fileExists(atPath: url.path) {
            let fd = open(url.path, O_CREAT | O_WRONLY | O_EXCL, 0o600)
            guard fd >= 0 else { throw OpenError(description: "cannot create the database \(url.path): \(String(cString: strerror(errno)))") }
            close(fd)
        }
    }
}

/// The schema, as versioned migrations. Times are Unix seconds (UTC); money is whole đồng.
public enum Schema {
    /// A database a newer carecron has migrated is not this one's to write, nor to read rightly:
    /// refused, with both versions named (an older binary put back after an upgrade, say).
    static func refuseNewer(_ db: Database, _ url: URL) throws {
        let known = migrator.migrations
        let unknown = try migrator.appliedIdentifiers(db).subtracting(known).sorted()
        guard !unknown.isEmpty else { return }
        throw Store.OpenError(description: """
            the database \(url.path) was written by a newer carecron: its schema has \(unknown.joined(separator: ", ")), \
            and this carecron knows up to \(known.last!); run the newer carecron, or restore a backup this version made
            """)
    }

    public static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-core") { db in
            try db.execute(sql: """
                CREATE TABLE customers (
                    id TEXT PRIMARY KEY NOT NULL,
                    full_name TEXT NOT NULL,
                    gender TEXT NOT NULL DEFAULT 'unknown' CHECK (gender IN ('female', 'male', 'unknown')),
                    phone TEXT,
                    email TEXT,
                    birthday TEXT,
                    -- 'MM-DD' of the birthday, indexed: today's birthdays without a scan
                    birth_md TEXT,
                    zalo_user_id TEXT,
                    tier TEXT,
                    opt_out TEXT NOT NULL DEFAULT 'none' CHECK (opt_out IN ('none', 'marketing', 'all')),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX customers_birth_md ON customers(birth_md) WHERE birth_md IS NOT NULL;
                CREATE INDEX customers_phone ON customers(phone);

                CREATE TABLE orders (
                    id TEXT PRIMARY KEY NOT NULL,
                    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                    placed_at INTEGER NOT NULL,
                    amount INTEGER NOT NULL CHECK (amount >= 0),
                    payment_method TEXT NOT NULL,
                    status TEXT NOT NULL,
                    paid_at INTEGER,
                    delivered_at INTEGER,
                    cancelled_at INTEGER,
                    items TEXT NOT NULL DEFAULT '',
                    agent TEXT,
                    -- carecron's own bookkeeping, never overwritten by an import
                    expired_at INTEGER,
                    paid_after_expiry INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- unpaid orders by placement time (reminders, expiry)
                CREATE INDEX orders_unpaid_placed ON orders(placed_at)
                    WHERE paid_at IS NULL AND status IN ('pending') AND expired_at IS NULL;
                CREATE INDEX orders_placed ON orders(placed_at);
                -- delivered orders by delivery time (post-sale check-in)
                CREATE INDEX orders_delivered ON orders(delivered_at) WHERE delivered_at IS NOT NULL;
                CREATE INDEX orders_paid ON orders(paid_at) WHERE paid_at IS NOT NULL;
                CREATE INDEX orders_customer ON orders(customer_id);

                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    -- (job, subject, occurrence): the same message is never planned twice
                    idempotency_key TEXT NOT NULL UNIQUE,
                    job TEXT NOT NULL,
                    customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE,
                    order_ids TEXT NOT NULL DEFAULT '',
                    reminder INTEGER,
                    channel TEXT NOT NULL,
                    sender TEXT,
                    recipient TEXT NOT NULL,
                    subject TEXT,
                    body TEXT NOT NULL,
                    payload TEXT,
                    state TEXT NOT NULL DEFAULT 'planned'
                        CHECK (state IN ('planned', 'sending', 'sent', 'failed', 'dead', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    due_at INTEGER NOT NULL,
                    next_attempt_at INTEGER NOT NULL,
                    last_error TEXT,
                    provider_message_id TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    sent_at INTEGER
                );
                -- due messages (the dispatcher's one query) and counts by state
                CREATE INDEX outbox_state_due ON outbox(state, next_attempt_at);
                -- the frequency cap: what a customer was sent lately
                CREATE INDEX outbox_customer_sent ON outbox(customer_id, sent_at);

                CREATE TABLE job_runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER,
                    outcome TEXT,
                    planned INTEGER NOT NULL DEFAULT 0,
                    detail TEXT
                );
                CREATE INDEX job_runs_job ON job_runs(job, started_at);

                -- anonymous counts kept after a customer is forgotten (Decree 13/2023)
                CREATE TABLE erasures (
                    day TEXT PRIMARY KEY NOT NULL,
                    customers INTEGER NOT NULL DEFAULT 0,
                    messages INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v2-outbox-keys") { db in
            // A message may cover several occurrences (one reminder naming two orders): each
            // occurrence's key is unique here, so that no occurrence is ever planned twice.
            try db.execute(sql: """
                CREATE TABLE outbox_keys (
                    key TEXT PRIMARY KEY NOT NULL,
                    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE INDEX outbox_keys_outbox ON outbox_keys(outbox_id);
                -- renderings for the job's next channels, JSON, tried in order after a permanent failure
                ALTER TABLE outbox ADD COLUMN fallbacks TEXT NOT NULL DEFAULT '[]';
                """)
        }
        m.registerMigration("v3-service") { db in
            // The running service's own facts: when it was last alive (an outage is the gap).
            try db.execute(sql: """
                CREATE TABLE service_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v4-webhooks") { db in
            // Shop-platform webhooks already applied, by their id: a redelivery changes nothing.
            try db.execute(sql: """
                CREATE TABLE webhook_events (id TEXT PRIMARY KEY NOT NULL, topic TEXT NOT NULL, received_at INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v5-reminders-sent") { db in
            // Reminders by their real sending time: the planner times the next one from it.
            try db.execute(sql: """
                CREATE INDEX outbox_reminders_sent ON outbox(sent_at) WHERE reminder IS NOT NULL AND sent_at IS NOT NULL;
                """)
        }
        m.registerMigration("v6-platform-updated") { db in
            // A platform's own updated_at of each order: a webhook older than it is not applied.
            try db.execute(sql: "ALTER TABLE orders ADD COLUMN source_updated_at INTEGER")
        }
        m.registerMigration("v7-audit") { db in
            // What people did through the console: who, when, what, to which subject.
            try db.execute(sql: """
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    user TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail TEXT NOT NULL DEFAULT ''
                );
                CREATE INDEX audit_at ON audit(at);
                """)
        }
        m.registerMigration("v8-campaigns") { db in
            // Campaigns (issue 13): a message's sending priority (transactional first), the
            // campaign occasion it belongs to, when it is too late to send, and a `paused` state.
            // SQLite cannot change a CHECK constraint in place: the table is rebuilt (the
            // migrator turns foreign keys off meanwhile, so outbox_keys keeps its rows).
            try db.execute(sql: """
                CREATE TABLE outbox_v8 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    job TEXT NOT NULL,
                    customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE,
                    order_ids TEXT NOT NULL DEFAULT '',
                    reminder INTEGER,
                    channel TEXT NOT NULL,
                    sender TEXT,
                    recipient TEXT NOT NULL,
                    subject TEXT,
                    body TEXT NOT NULL,
                    payload TEXT,
                    state TEXT NOT NULL DEFAULT 'planned'
                        CHECK (state IN ('planned', 'sending', 'sent', 'failed', 'dead', 'cancelled', 'paused')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    due_at INTEGER NOT NULL,
                    next_attempt_at INTEGER NOT NULL,
                    last_error TEXT,
                    provider_message_id TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    sent_at INTEGER,
                    fallbacks TEXT NOT NULL DEFAULT '[]',
                    -- 0 transactional, 1 care, 2 marketing: due messages go out in this order
                    priority INTEGER NOT NULL DEFAULT 0,
                    -- the campaign occasion ('tet-greeting:2027-02-06'), for pausing and counting
                    campaign TEXT,
                    -- after this instant the message is cancelled, not sent (a campaign's day is over)
                    expires_at INTEGER
                );
                INSERT INTO outbox_v8 (id, idempotency_key, job, customer_id, order_ids, reminder, channel, sender, recipient, subject,
                                       body, payload, state, attempts, due_at, next_attempt_at, last_error, provider_message_id,
                                       created_at, updated_at, sent_at, fallbacks)
                    SELECT id, idempotency_key, job, customer_id, order_ids, reminder, channel, sender, recipient, subject,
                           body, payload, state, attempts, due_at, next_attempt_at, last_error, provider_message_id,
                           created_at, updated_at, sent_at, fallbacks FROM outbox;
                DROP TABLE outbox;
                ALTER TABLE outbox_v8 RENAME TO outbox;
                CREATE INDEX outbox_state_due ON outbox(state, next_attempt_at);
                CREATE INDEX outbox_customer_sent ON outbox(customer_id, sent_at);
                CREATE INDEX outbox_reminders_sent ON outbox(sent_at) WHERE reminder IS NOT NULL AND sent_at IS NOT NULL;
                -- the claim: due messages by priority, then by time, read in index order
                CREATE INDEX outbox_claim ON outbox(priority, next_attempt_at) WHERE state IN ('planned', 'failed');
                CREATE INDEX outbox_campaign ON outbox(campaign, state) WHERE campaign IS NOT NULL;

                -- one row per campaign occasion: how far its audience is written, its state, its counts
                CREATE TABLE campaign_runs (
                    id TEXT PRIMARY KEY NOT NULL,
                    job TEXT NOT NULL,
                    occasion TEXT NOT NULL,
                    -- 'writing', 'paused', 'cancelled'
                    state TEXT NOT NULL CHECK (state IN ('writing', 'paused', 'cancelled')),
                    -- 1 once the whole audience is in the outbox
                    complete INTEGER NOT NULL DEFAULT 0,
                    base_at INTEGER,
                    deadline_at INTEGER,
                    audience INTEGER NOT NULL DEFAULT 0,
                    opted_out INTEGER NOT NULL DEFAULT 0,
                    cursor TEXT,
                    written INTEGER NOT NULL DEFAULT 0,
                    planned INTEGER NOT NULL DEFAULT 0,
                    skipped TEXT NOT NULL DEFAULT '{}',
                    paused_at INTEGER,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v9-outbox-retention") { db in try db.execute(sql: OutboxRetention.migration) }
        m.registerMigration("v10-campaign-purged") { db in try db.execute(sql: OutboxRetention.campaignMigration) }
        // Which database this is, whatever its name: what the outcome journal belongs to, so that
        // a journal left beside a database restored or made anew is never applied to it.
        m.registerMigration("v11-store-id") { db in
            try db.execute(sql: "INSERT INTO service_state (key, value) VALUES ('store_id', lower(hex(randomblob(16))))")
        }
        // Customers found the way a person looks for them (the console's search): the name folded
        // without accents, also with its words reversed (the given name first), and the email.
        m.registerMigration("v12-customer-search") { db in
            try db.execute(sql: """
                ALTER TABLE customers ADD COLUMN search_name TEXT;
                ALTER TABLE customers ADD COLUMN search_given TEXT;
                """)
            let update = try db.makeStatement(sql: "UPDATE customers SET search_name = ?, search_given = ? WHERE id = ?")
            let rows = try Row.fetchCursor(db, sql: "SELECT id, full_name FROM customers")
            var names: [(String, String)] = []
            while let row = try rows.next() { names.append((row["id"], row["full_name"])) }
            for (id, name) in names {
                let (folded, given) = CustomerSearchSQL.columns(forName: name)
                try update.execute(arguments: [folded, given, id])
            }
            try db.execute(sql: """
                CREATE INDEX customers_search_name ON customers(search_name);
                CREATE INDEX customers_search_given ON customers(search_given);
                CREATE INDEX customers_email ON customers(lower(email)) WHERE email IS NOT NULL;
                """)
        }
        // Delivery receipts (issue 27): what the provider later said, matched by the sender and
        // the provider's message id.
        m.registerMigration("v13-receipts") { db in try db.execute(sql: OutboxReceipts.migration) }
        // After sending (issue 27): the wait for a receipt before the next channel, the receipts'
        // counts, customers' replies and the Zalo user ids they are matched by.
        m.registerMigration("v14-after-sending") { db in
            try db.execute(sql: OutboxReceipts.fallbackMigration)
            try db.execute(sql: ReplyRecords.migration)
        }
        // Surveys' answers (issue 28).
        m.registerMigration("v15-surveys") { db in try db.execute(sql: SurveyAnswerRecords.migration) }
        // The outcomes' sums (issue 28, item 8): the funnel by bucket, the conversions by message.
        m.registerMigration("v16-outcome-ledger") { db in try db.execute(sql: OutcomeLedger.migration) }
        // The care team's calls and agents' days away (issue 29).
        m.registerMigration("v17-calls") { db in try db.execute(sql: CallRecords.migration) }
        // The care team's conversations: replies, complaints and feedback until resolved (issue 29).
        m.registerMigration("v18-conversations") { db in try db.execute(sql: ConversationRecords.migration) }
        return m
    }
}

extension Store {
    /// This database's own id, made with it (v11); nil in a read-only copy of an older one.
    public func storeId() throws -> String? {
        try db.read { try String.fetchOne($0, sql: "SELECT value FROM service_state WHERE key = 'store_id'") }
    }

    /// When the service last said it was alive.
    public func heartbeat() throws -> Date? {
        try db.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM service_state WHERE key = 'heartbeat'")
                .flatMap(TimeInterval.init).map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func beat(_ at: Date) throws {
        try db.write { db in
            try db.execute(sql: "INSERT INTO service_state (key, value) VALUES ('heartbeat', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [String(at.timeIntervalSince1970)])
        }
    }
}
