/// Versioned schema migrations, run at start in order; each runs once, in its own transaction.
///
/// Portable SQL only: `TEXT` and `BIGINT` columns (times are epoch milliseconds, ids text).
/// Objects are stored as a JSON document (`data`) beside the columns that queries filter on;
/// only the table types in this module write either, from the same value.
enum Migrations {
    static let all: [(version: Int64, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE accounts (
                  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL,
                  audit_sequence BIGINT NOT NULL, audit_head TEXT NOT NULL)
                """,
                """
                CREATE TABLE api_tokens (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
                  created_at BIGINT NOT NULL, revoked_at BIGINT, data TEXT NOT NULL)
                """,
                """
                CREATE TABLE products (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, code TEXT NOT NULL, data TEXT NOT NULL,
                  UNIQUE (account_id, code))
                """,
                """
                CREATE TABLE policies (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, product_id TEXT NOT NULL, data TEXT NOT NULL)
                """,
                "CREATE INDEX policies_by_product ON policies (account_id, product_id, id)",
                """
                CREATE TABLE customers (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, email TEXT, data TEXT NOT NULL)
                """,
                """
                CREATE TABLE licenses (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, product_id TEXT NOT NULL, policy_id TEXT NOT NULL,
                  customer_id TEXT NOT NULL, state TEXT NOT NULL, expires_at BIGINT, data TEXT NOT NULL)
                """,
                "CREATE INDEX licenses_by_account ON licenses (account_id, id)",
                "CREATE INDEX licenses_by_customer ON licenses (account_id, customer_id, id)",
                "CREATE INDEX licenses_by_product ON licenses (account_id, product_id, id)",
                "CREATE INDEX licenses_by_expiry ON licenses (account_id, expires_at)",
                """
                CREATE TABLE audit_events (
                  account_id TEXT NOT NULL, sequence BIGINT NOT NULL, id TEXT NOT NULL UNIQUE, actor TEXT NOT NULL,
                  action TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL, before_digest TEXT,
                  after_digest TEXT, occurred_at BIGINT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL,
                  PRIMARY KEY (account_id, sequence))
                """,
                "CREATE INDEX audit_events_by_object ON audit_events (account_id, object_id)",
                """
                CREATE TABLE idempotency_keys (
                  account_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, request_hash TEXT NOT NULL,
                  status BIGINT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,
                  PRIMARY KEY (account_id, idempotency_key))
                """,
                """
                CREATE TABLE validation_events (
                  id TEXT PRIMARY KEY, account_id TEXT, license_id TEXT, code TEXT NOT NULL, valid BIGINT NOT NULL,
                  remote_address TEXT, occurred_at BIGINT NOT NULL)
                """,
                "CREATE INDEX validation_events_by_license ON validation_events (license_id, id)",
            ]
        ),
        (
            2,
            [
                // Machines are plain columns, not a JSON document: the sweep and cluster drains
                // change many rows with one statement.
                """
                CREATE TABLE machines (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, license_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
                  name TEXT, platform TEXT, hostname TEXT, cores BIGINT, cluster TEXT, state TEXT NOT NULL,
                  deactivation_reason TEXT, deactivated_at BIGINT, last_heartbeat_at BIGINT NOT NULL, dead_at BIGINT,
                  cull_when_dead BIGINT NOT NULL, draining_until BIGINT, token_version BIGINT NOT NULL,
                  activated_offline BIGINT NOT NULL, offline_request_nonce TEXT, created_at BIGINT NOT NULL,
                  updated_at BIGINT NOT NULL)
                """,
                // Covers the seat count of an activation (no table reads).
                "CREATE INDEX machines_by_license ON machines (license_id, state, cluster, draining_until)",
                "CREATE INDEX machines_by_fingerprint ON machines (license_id, fingerprint)",
                "CREATE INDEX machines_by_account ON machines (account_id, id)",
                // Partial indexes (SQLite and PostgreSQL both have them): only the rows the sweep
                // may act on, so deactivated machines cost nothing to keep.
                "CREATE INDEX machines_dying ON machines (dead_at) WHERE state = 'active' AND cull_when_dead = 1",
                "CREATE INDEX machines_draining ON machines (draining_until) WHERE state = 'active' AND draining_until IS NOT NULL",
                "CREATE INDEX machines_by_nonce ON machines (license_id, offline_request_nonce) WHERE offline_request_nonce IS NOT NULL",
                """
                CREATE TABLE leases (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, license_id TEXT NOT NULL, machine_id TEXT,
                  holder TEXT, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL)
                """,
                "CREATE INDEX leases_by_license ON leases (license_id, expires_at)",
                "CREATE INDEX leases_by_expiry ON leases (expires_at)",
            ]
        ),
        (
            3,
            [
                // Background jobs claim their tick here, so that with several replicas each tick
                // runs once, on whichever replica claims it first.
                "CREATE TABLE job_ticks (name TEXT PRIMARY KEY, last_run_at BIGINT NOT NULL, owner TEXT)",
                "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)",
            ]
        ),
        (
            4,
            [
                // Idempotency records belong to the credential and the route that made them, so a
                // replay never hands one caller's answer (a machine token, a license file) to
                // another. Records live a day; the old ones are not worth converting.
                "DROP TABLE idempotency_keys",
                """
                CREATE TABLE idempotency_keys (
                  account_id TEXT NOT NULL, principal TEXT NOT NULL, route TEXT NOT NULL, idempotency_key TEXT NOT NULL,
                  request_hash TEXT NOT NULL, status BIGINT NOT NULL, body TEXT NOT NULL, complete BIGINT NOT NULL,
                  created_at BIGINT NOT NULL,
                  PRIMARY KEY (account_id, principal, route, idempotency_key))
                """,
                "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)",
            ]
        ),
        (
            5,
            [
                // The event log: one row per change, in the change's transaction, ordered per account.
                """
                CREATE TABLE events (
                  account_id TEXT NOT NULL, sequence BIGINT NOT NULL, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
                  object_type TEXT NOT NULL, object_id TEXT NOT NULL, actor TEXT NOT NULL, data TEXT, occurred_at BIGINT NOT NULL,
                  PRIMARY KEY (account_id, sequence))
                """,
                "CREATE INDEX events_by_type ON events (account_id, type, sequence)",
                "CREATE INDEX events_by_object ON events (account_id, object_id, sequence)",
            ]
        ),
        (
            6,
            [
                // Background jobs with leased claims, retries and a dead state (see JobTable);
                // recurring jobs (the machine sweep, the clean-up) replace the tick table.
                "DROP TABLE job_ticks",
                """
                CREATE TABLE jobs (
                  id TEXT PRIMARY KEY, kind TEXT NOT NULL, account_id TEXT, dedupe_key TEXT UNIQUE, payload TEXT NOT NULL,
                  state TEXT NOT NULL, attempts BIGINT NOT NULL, max_attempts BIGINT NOT NULL, every_ms BIGINT, run_at BIGINT NOT NULL,
                  lease_owner TEXT, lease_until BIGINT, last_error TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
                """,
                "CREATE INDEX jobs_due ON jobs (state, run_at)",
                // The row /readyz rewrites to find out whether the database takes writes again.
                "CREATE TABLE probes (name TEXT PRIMARY KEY, at BIGINT NOT NULL)",
            ]
        ),
        (
            7,
            [
                // Private signing keys live here, sealed under the key-encryption key, instead of
                // in each replica's files or environment.
                """
                CREATE TABLE signing_keys (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, created_at BIGINT NOT NULL, retired_at BIGINT, sealed TEXT NOT NULL)
                """,
                "CREATE INDEX signing_keys_by_account ON signing_keys (account_id, created_at)",
            ]
        ),
        (
            8,
            [
                // Each product's catalogue of entitlement codes (VendorLimitsMigration fills it and
                // rewrites stored policies to vendor-defined limits).
                "CREATE TABLE entitlements (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, product_id TEXT NOT NULL, code TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (account_id, product_id, code))"
            ]
        ),
        (
            9,
            [
                // The event log's sequence moves on the account's row with the audit chain's, so one
                // `UPDATE … RETURNING` serializes both logs of an account (ChangeTable).
                "ALTER TABLE accounts ADD COLUMN event_sequence BIGINT NOT NULL DEFAULT 0",
                "UPDATE accounts SET event_sequence = COALESCE((SELECT MAX(sequence) FROM events WHERE events.account_id = accounts.id), 0)",
            ]
        ),
        (
            10,
            [
                // The head before the last append, so that PostgreSQL can append an entry in one
                // statement (ChangeTable: the UPDATE that moves the head returns the one it replaced).
                "ALTER TABLE accounts ADD COLUMN audit_previous TEXT"
            ]
        ),
        (
            11,
            [
                // PostgreSQL appends to the logs at COMMIT instead (PendingChangesMigration), which
                // needs no column of its own.
                "ALTER TABLE accounts DROP COLUMN audit_previous"
            ]
        ),
        (
            12,
            [
                // What vendors meter: one row per meter, its code unique in the account.
                "CREATE TABLE meters (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, code TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (account_id, code))"
            ]
        ),
        // SQLite's logs without rowid and id index (CompactLogsMigration).
        (13, []),
        (
            14,
            [
                // Usage events: the sender's id is the key within the account (exact dedup); the
                // quantity in millionths; the payload hash tells a retry from a reused id.
                """
                CREATE TABLE usage_events (
                  account_id TEXT NOT NULL, id TEXT NOT NULL, license_id TEXT NOT NULL, machine_id TEXT, meter TEXT NOT NULL,
                  quantity BIGINT NOT NULL, occurred_at BIGINT NOT NULL, properties TEXT NOT NULL, payload_hash TEXT NOT NULL,
                  received_at BIGINT NOT NULL, PRIMARY KEY (account_id, id))
                """,
                "CREATE INDEX usage_events_by_license ON usage_events (account_id, license_id, meter, occurred_at)",
            ]
        ),
        (
            15,
            [
                // Usage counters, kept in the transaction that stores the events: per license,
                // meter and calendar period (`hour` and `month` for every aggregation, `day` and
                // `year` too for `unique_count`), the events counted and the aggregated value in
                // millionths (UsageTally). Quotas and analytics read these, never the events.
                """
                CREATE TABLE usage_counters (
                  account_id TEXT NOT NULL, license_id TEXT NOT NULL, meter TEXT NOT NULL, period TEXT NOT NULL, starts_at BIGINT NOT NULL,
                  aggregation TEXT NOT NULL, events BIGINT NOT NULL, value BIGINT NOT NULL, latest_at BIGINT NOT NULL,
                  PRIMARY KEY (account_id, license_id, meter, period, starts_at))
                """,
                "CREATE INDEX usage_counters_by_period ON usage_counters (account_id, meter, period, starts_at)",
                // The retention job deletes raw events by age.
                "CREATE INDEX usage_events_by_time ON usage_events (occurred_at)",
                // The distinct values a `unique_count` meter has seen per license and period.
                """
                CREATE TABLE usage_distinct_values (
                  account_id TEXT NOT NULL, license_id TEXT NOT NULL, meter TEXT NOT NULL, period TEXT NOT NULL, starts_at BIGINT NOT NULL,
                  value TEXT NOT NULL, PRIMARY KEY (account_id, license_id, meter, period, starts_at, value))
                """,
                // The thresholds (percent of a limit) a license's usage crossed per period: each
                // crossing is an event once.
                """
                CREATE TABLE usage_thresholds (
                  account_id TEXT NOT NULL, license_id TEXT NOT NULL, meter TEXT NOT NULL, period TEXT NOT NULL, starts_at BIGINT NOT NULL,
                  threshold BIGINT NOT NULL, crossed_at BIGINT NOT NULL, PRIMARY KEY (account_id, license_id, meter, period, starts_at, threshold))
                """,
            ]
        ),
        (
            16,
            [
                // The distribution of a `percentiles` meter's values per license and hour: the
                // events per value bucket (UsageDistribution), kept in the ingestion transaction.
                """
                CREATE TABLE usage_histograms (
                  account_id TEXT NOT NULL, license_id TEXT NOT NULL, meter TEXT NOT NULL, starts_at BIGINT NOT NULL, bucket BIGINT NOT NULL,
                  events BIGINT NOT NULL, PRIMARY KEY (account_id, license_id, meter, starts_at, bucket))
                """,
                "CREATE INDEX usage_histograms_by_meter ON usage_histograms (account_id, meter, starts_at)",
                // Which licenses used which feature (an entitlement asked for in a valid
                // validation's scope, or a meter's events) on which day: feature adoption.
                """
                CREATE TABLE feature_uses (
                  account_id TEXT NOT NULL, feature TEXT NOT NULL, day BIGINT NOT NULL, license_id TEXT NOT NULL,
                  PRIMARY KEY (account_id, feature, day, license_id))
                """,
                // The hours of time-weighted average meters (GaugeHour): first and last reading and
                // the area between them (an integer of up to 39 digits, as text), per license.
                """
                CREATE TABLE usage_gauges (
                  account_id TEXT NOT NULL, license_id TEXT NOT NULL, meter TEXT NOT NULL, starts_at BIGINT NOT NULL, events BIGINT NOT NULL,
                  first_at BIGINT NOT NULL, first_value BIGINT NOT NULL, last_at BIGINT NOT NULL, last_value BIGINT NOT NULL, area TEXT NOT NULL,
                  PRIMARY KEY (account_id, license_id, meter, starts_at))
                """,
                "CREATE INDEX usage_gauges_by_meter ON usage_gauges (account_id, meter, starts_at)",
                // Each account's telemetry salt (TelemetryPseudonym), made on its first telemetry event.
                "CREATE TABLE telemetry_salts (account_id TEXT PRIMARY KEY, salt TEXT NOT NULL)",
            ]
        ),
        // PostgreSQL's activation in one statement (GuardedMachineInsertMigration); nothing on SQLite.
        (17, []),
        (
            18,
            [
                // When each API token was last used, to the minute (TokenUseRecorder).
                "ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT",
                "CREATE INDEX api_tokens_by_account ON api_tokens (account_id, id)",
            ]
        ),
        (
            19,
            [
                // People who sign in to the portals (UserTable). The password's bcrypt hash and the
                // two-factor secret (and the step of its last code taken) are columns, never in the
                // document; `email` is NULL until the first owner names it.
                """
                CREATE TABLE users (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, kind TEXT NOT NULL, customer_id TEXT, email TEXT, password_hash TEXT,
                  totp_secret TEXT, totp_step BIGINT, created_at BIGINT NOT NULL, data TEXT NOT NULL, UNIQUE (kind, email))
                """,
                "CREATE INDEX users_by_account ON users (account_id, kind, id)",
                // One-time links that set a user's password (InvitationTable), by their secret's hash.
                """
                CREATE TABLE invitations (
                  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, account_id TEXT NOT NULL, created_at BIGINT NOT NULL,
                  expires_at BIGINT NOT NULL, used_at BIGINT)
                """,
                "CREATE INDEX invitations_by_user ON invitations (user_id)",
                // Portal sessions (WebSessionTable), by their cookie's hash; `stage` says what the
                // sign-in still needs.
                """
                CREATE TABLE web_sessions (
                  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, account_id TEXT NOT NULL, stage TEXT NOT NULL, csrf TEXT NOT NULL,
                  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)
                """,
                "CREATE INDEX web_sessions_by_user ON web_sessions (user_id)",
                // Failed sign-ins per user and per address (SignInThrottle), kept for its window.
                "CREATE TABLE sign_in_failures (throttle_key TEXT NOT NULL, at BIGINT NOT NULL)",
                "CREATE INDEX sign_in_failures_by_key ON sign_in_failures (throttle_key, at)",
                // Whether the account's staff must sign in with a two-factor code (Account.requireTwoFactor).
                "ALTER TABLE accounts ADD COLUMN require_two_factor BIGINT NOT NULL DEFAULT 0",
                // The dashboard's figures, from roll-ups and covering indexes rather than scans
                // (DashboardTable): licenses by state and expiry, validations per day and code,
                // active machines per day, meters' months.
                "CREATE INDEX licenses_by_state ON licenses (account_id, state, expires_at)",
                """
                CREATE TABLE validation_days (
                  account_id TEXT NOT NULL, day BIGINT NOT NULL, code TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (account_id, day, code))
                """,
                "CREATE TABLE machine_days (account_id TEXT NOT NULL, day BIGINT NOT NULL, active BIGINT NOT NULL, PRIMARY KEY (account_id, day))",
                "CREATE INDEX machines_active_by_account ON machines (account_id) WHERE state = 'active'",
                // Each meter's month so far, all licenses added up, as of the hourly snapshot.
                """
                CREATE TABLE meter_months (
                  account_id TEXT NOT NULL, meter TEXT NOT NULL, starts_at BIGINT NOT NULL, events BIGINT NOT NULL, value BIGINT NOT NULL,
                  PRIMARY KEY (account_id, meter, starts_at))
                """,
            ]
        ),
        (
            20,
            [
                // Migration 19's partial index of active machines by account trapped PostgreSQL's
                // cached plans: planned while the table was small, every statement that filters
                // machines by `state = 'active'` and a license (the activation's fingerprint check,
                // the seat count) scanned it whole, as it matched their condition at the lowest
                // estimated cost, and kept doing so as the table grew (measured: activations on
                // one license fell from 1,250 to 600 a second in 16 s, BENCHMARKS.md). A plain
                // index on both columns serves the dashboard's count as well and offers those
                // statements nothing without an account in their condition.
                "DROP INDEX machines_active_by_account",
                "CREATE INDEX machines_by_account_state ON machines (account_id, state)",
            ]
        ),
        // PostgreSQL: the one-statement activation chains its change itself (GuardedMachineInsertMigration).
        (21, []),
        (
            22,
            [
                // Webhook endpoints (WebhookEndpoint) and their signing secrets, sealed under the
                // key-encryption key; a rotated-out secret keeps signing until `expires_at`.
                "CREATE TABLE webhook_endpoints (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL)",
                "CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints (account_id, id)",
                """
                CREATE TABLE webhook_secrets (
                  endpoint_id TEXT NOT NULL, account_id TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT, sealed TEXT NOT NULL)
                """,
                "CREATE INDEX webhook_secrets_by_endpoint ON webhook_secrets (endpoint_id)",
            ]
        ),
        (
            23,
            [
                // Webhook deliveries (WebhookDeliveryTable): one per event and endpoint that wants
                // it, made from the event log by the fan-out, which keeps its place per account
                // in `webhook_cursors`; each attempt is a row of `webhook_attempts`.
                """
                CREATE TABLE webhook_deliveries (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, event_id TEXT NOT NULL,
                  event_sequence BIGINT NOT NULL, event_type TEXT NOT NULL, state TEXT NOT NULL, attempts BIGINT NOT NULL,
                  next_attempt_at BIGINT NOT NULL, lease_owner TEXT, lease_until BIGINT, last_status BIGINT, last_error TEXT,
                  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, UNIQUE (endpoint_id, event_id))
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
                "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (account_id, endpoint_id, id)",
                """
                CREATE TABLE webhook_attempts (
                  delivery_id TEXT NOT NULL, account_id TEXT NOT NULL, attempt BIGINT NOT NULL, at BIGINT NOT NULL, status BIGINT,
                  duration_ms BIGINT NOT NULL, response TEXT, error TEXT, PRIMARY KEY (delivery_id, attempt))
                """,
                "CREATE TABLE webhook_cursors (account_id TEXT PRIMARY KEY, event_sequence BIGINT NOT NULL)",
            ]
        ),
        (
            24,
            [
                // A delivery sent again by hand after it ended; finished deliveries by age, for
                // their clean-up (CleanupJob).
                "ALTER TABLE webhook_deliveries ADD COLUMN manual BIGINT NOT NULL DEFAULT 0",
                "CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (state, updated_at)",
            ]
        ),
        (
            25,
            [
                // Email notifications (NotificationTable): one per occasion, sent by a job; the
                // planner's place in each account's event log. Existing accounts start now.
                """
                CREATE TABLE notifications (
                  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, kind TEXT NOT NULL, occasion TEXT NOT NULL, recipient TEXT NOT NULL,
                  customer_id TEXT, object_id TEXT, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NOT NULL,
                  message_id TEXT NOT NULL, state TEXT NOT NULL, attempts BIGINT NOT NULL, error TEXT, created_at BIGINT NOT NULL,
                  updated_at BIGINT NOT NULL, sent_at BIGINT, UNIQUE (account_id, occasion))
                """,
                "CREATE INDEX notifications_by_account ON notifications (account_id, id)",
                "CREATE TABLE notification_cursors (account_id TEXT PRIMARY KEY, event_sequence BIGINT NOT NULL)",
                "INSERT INTO notification_cursors (account_id, event_sequence) SELECT id, event_sequence FROM accounts",
            ]
        ),
        // Policies gain renewalReminderDays (the default reminders: 30, 7 and 1 days before
        // expiry), customers emailOptOut (false).
        (26, []),
        (
            27,
            [
                // Account.apiRequestsPerMinute (per API token); NULL is the server's default.
                "ALTER TABLE accounts ADD COLUMN api_requests_per_minute BIGINT"
            ]
        ),
        (
            28,
            [
                // A non-essential email's unsubscribe link (List-Unsubscribe) and the keyed hash of its secret.
                "ALTER TABLE notifications ADD COLUMN unsubscribe_url TEXT",
                "ALTER TABLE notifications ADD COLUMN unsubscribe_hash TEXT",
                // A vendor's own templates for an email kind (NotificationTemplateTable).
                """
                CREATE TABLE notification_templates (
                  account_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NOT NULL,
                  updated_at BIGINT NOT NULL, PRIMARY KEY (account_id, kind))
                """,
            ]
        ),
        // PostgreSQL: one account's activations in one statement (MachineBatchInsertMigration).
        (29, []),
    ]

    /// Steps that rewrite data rather than schema, run in the transaction of their version,
    /// after its statements.
    static let dataSteps: [Int64: @Sendable (any SQLExecutor, Int64) async throws -> Void] = [
        8: VendorLimitsMigration.run,
        11: PendingChangesMigration.run,
        13: CompactLogsMigration.run,
        17: GuardedMachineInsertMigration.run,
        21: GuardedMachineInsertMigration.run,
        29: MachineBatchInsertMigration.run,
        19: { sql, _ in
            // Validations logged before the roll-up, rolled up once.
            try await sql.execute(
                """
                INSERT INTO validation_days (account_id, day, code, count)
                SELECT account_id, (occurred_at / 86400000) * 86400000, code, COUNT(*) FROM validation_events
                WHERE account_id IS NOT NULL GROUP BY account_id, (occurred_at / 86400000) * 86400000, code
                """)
        },
        26: { sql, _ in
            try await DocumentDefaultsMigration.run(sql, table: "policies", defaults: ["renewalReminderDays": [30, 7, 1]])
            try await DocumentDefaultsMigration.run(sql, table: "customers", defaults: ["emailOptOut": false])
        },
        15: { sql, _ in
            try await DocumentDefaultsMigration.run(sql, table: "policies", defaults: ["limitEnforcement": [String: String](), "rank": 0])
        },
        16: { sql, _ in
            try await DocumentDefaultsMigration.run(
                sql, table: "meters", defaults: ["percentiles": false, "kind": "usage", "allowedProperties": [String]()])
            try await DocumentDefaultsMigration.run(sql, table: "policies", defaults: ["telemetry": false])
        },
    ]

    /// Applies every migration `database` has not seen.
    static func run(on database: any SQLDatabase, now: Int64) async throws {
        try await database.write { sql in
            try await sql.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let applied = Set(try await sql.query("SELECT version FROM schema_migrations", []).compactMap { $0.int("version") })
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.statements { try await sql.execute(statement) }
                try await dataSteps[migration.version]?(sql, now)
                try await sql.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [.integer(migration.version), .integer(now)])
            }
        }
    }
}
