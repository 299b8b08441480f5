import CarecronBench
import CarecronDomain
import Foundation
import Testing

/// Issue 6's runs in their small versions, on every submission: the real `carecron bench`
/// commands (which start real `carecron` processes, a real HTTP receiver, sqlite3 and wrk), read
/// back from the lines they print and the JSON file they write.
@Suite("Benchmarks and reliability runs", .serialized)
struct BenchTests {
    struct Output {
        let run: TestSupport.Run
        let figures: [String: Double]
        let json: [String: Any]
    }

    func bench(_ args: [String]) throws -> Output {
        let folder = TestSupport.temporaryFolder("bench")
        let json = folder.appendingPathComponent("figures.json")
        let run = try TestSupport.carecron(["bench"] + args + ["--config", TestSupport.packageRoot.appendingPathComponent("config.json").path,
                                                                "--json", json.path], in: folder)
        var figures: [String: Double] = [:]
        for line in run.stdout.split(separator: "\n") {
            // name: value unit
            let parts = line.split(separator: " ")
            if parts.count == 3, parts[0].hasSuffix(":"), let v = Double(parts[1]) { figures[String(parts[0].dropLast())] = v }
        }
        let doc = (try? JSONSerialization.jsonObject(with: Data(contentsOf: json))) as? [String: Any] ?? [:]
        return Output(run: run, figures: figures, json: (doc["figures"] as? [String: Any]) ?? [:])
    }

    @Test func crashLoopLosesNothingAndFaultyProviderDeliversEverythingOnce() throws {
        let out = try bench(["chaos", "--messages", "1000", "--kills", "5"])
        #expect(out.run.status == 0, "\(out.run.stdout)\n\(out.run.stderr)")
        let f = out.figures
        #expect(f["chaos_crash_kills"] == 5, "the sender was killed mid-run five times")
        #expect(f["chaos_crash_lost"] == 0)
        #expect(f["chaos_crash_duplicates_after_dedup"] == 0)
        #expect((f["chaos_crash_raw_duplicates"] ?? .infinity) <= 5 * 8, "at most what was on the wire at the kills")
        #expect((f["chaos_faulty_failed_requests"] ?? 0) > 150, "about 30% of requests failed")
        #expect(f["chaos_faulty_down_windows"] == 3)
        #expect(f["chaos_faulty_lost"] == 0)
        #expect(f["chaos_faulty_duplicates_after_dedup"] == 0)
        #expect(f["chaos_faulty_retry_after_violations"] == 0)
        #expect(out.run.stdout.contains("verdict: passed"))
        #expect((out.json["chaos_crash_lost"] as? [String: Any])?["unit"] as? String == "messages", "figures reach the JSON file")
    }

    /// Issue 27's receipts run, small: every receipt wrk sent changed its own row once (the bench
    /// itself fails otherwise), and the opt-out's cancellation was timed. (The rate is the bench's.)
    @Test func receiptsAreEachRecordedOnceAndAnOptOutCancelsAtOnce() throws {
        let out = try bench(["receipts", "--messages", "60000", "--seconds", "1", "--connections", "4"])
        #expect(out.run.status == 0, "\(out.run.stdout)\n\(out.run.stderr)")
        let f = out.figures
        #expect((f["receipts_answered"] ?? 0) > 100 && f["receipts_lost_or_twice"] == 0, "\(f)")
        #expect(abs((f["receipts_rows_delivered"] ?? 0) - (f["receipts_answered"] ?? 0)) <= 4, "\(f)")
        #expect((f["optout_to_cancelled_ms"] ?? .infinity) < 1000, "\(f)")
    }

    /// Issue 15's chaos run, small: three nodes on a throwaway PostgreSQL, the leader and another
    /// SIGKILLed twice mid-send, the leader SIGSTOPped beyond its lease. (The speed figures of
    /// `bench multinode` are the bench's, not a test's.)
    @Test func threeNodesOnPostgreSQLLoseNothingAndNeverSendWhatWasTakenOver() throws {
        let out = try bench(["multinode", "--messages", "600", "--kills", "2", "--lease", "5", "--dispatch-messages", "0", "--customers", "0"])
        #expect(out.run.status == 0, "\(out.run.stdout)\n\(out.run.stderr)")
        let f = out.figures
        #expect(f["multinode_chaos_kills"] == 2 && f["multinode_chaos_stops"] == 1)
        #expect(f["multinode_chaos_lost"] == 0)
        #expect(f["multinode_chaos_outbox_rows"] == 600, "one row per occurrence")
        #expect(f["multinode_chaos_planned_by_leaders"] == 60 && f["multinode_chaos_planned_in_logs"] == 60,
                "the leaders planned each confirmation once, across the kills")
        #expect((f["multinode_chaos_raw_duplicates"] ?? .infinity) <= 5 * 4 * 2, "repeats only for what was in flight")
        #expect(f["multinode_chaos_sent_after_takeover"] == 0, "fencing: the stopped node sends nothing another node took over")
        #expect(f["multinode_chaos_planned_after_lease_lost"] == 0, "the stopped leader stops planning with its lease")
        #expect(f["multinode_chaos_terms_held_twice"] == 0)
        #expect((f["multinode_chaos_terms"] ?? 0) >= 4, "a term for the first leader and one after each kill and the stop")
        #expect((f["multinode_chaos_leader_gap_max"] ?? .infinity) <= 5.5, "a new leader within the lease")
        #expect(out.run.stdout.contains("verdict: passed"))
    }

    @Test func fuzzRunFindsNoCrashAndNoUnclearRejection() throws {
        let out = try bench(["fuzz", "--cases", "10000", "--seed", "3"])
        #expect(out.run.status == 0, "\(out.run.stdout)\n\(out.run.stderr)")
        let f = out.figures
        #expect(f["fuzz_cases"] == 10_000)
        #expect(f["fuzz_values_unclear"] == 0 && (f["fuzz_values_cases"] ?? 0) >= 1_000, "amounts and dates read as meant")
        #expect((f["fuzz_values_rejected"] ?? 0) > 100, "and the wrong ones refused")
        for target in ["job_files", "csv_import", "http_api"] {
            #expect(f["fuzz_\(target)_unclear"] == 0, "\(target)")
            #expect((f["fuzz_\(target)_rejected"] ?? 0) > (f["fuzz_\(target)_cases"] ?? 0) / 2, "most mutations of \(target) are caught")
        }
    }

    @Test func everyFigureIsMeasuredAndWritten() throws {
        let out = try bench(["all", "--sizes", "2000", "--messages", "300", "--kills", "2", "--fuzz-cases", "1000", "--idle", "3"])
        #expect(out.run.status == 0, "\(out.run.stdout)\n\(out.run.stderr)")
        let names = ["import_customers_2k_rate", "sqlite3_import_customers_2k_rate", "import_customers_2k_vs_sqlite3",
                     "import_orders_2k_rate", "plan_instant_2k_seconds", "plan_instant_2k_peak_memory", "plan_day_2k_seconds",
                     "sql_instant_2k_seconds", "plan_day_2k_vs_sql", "dispatch_rate", "wrk_rate", "dispatch_vs_wrk",
                     "startup_to_ready_2k", "idle_cpu_per_minute_2k", "due_latency_2k_p50", "due_latency_2k_p99",
                     "chaos_crash_lost", "chaos_faulty_lost", "fuzz_cases", "plan_replay_2k_spans_identical",
                     "catchup_2k_cpu_before_first_send", "catchup_2k_others_before_last_transactional",
                     "multinode_chaos_lost", "multinode_dispatch_3_nodes_rate", "multinode_dispatch_3_vs_1",
                     "multinode_plan_instant_2k_postgres_vs_sqlite"]
        for name in names {
            #expect(out.figures[name] != nil, "printed: \(name)")
            #expect(out.json[name] != nil, "in the JSON file: \(name)")
        }
        #expect(out.figures["due_latency_2k_missing"] == 0)
        #expect((out.figures["due_latency_2k_p99"] ?? .infinity) < 1000, "due messages go out within a second")
        #expect((out.figures["startup_to_ready_2k"] ?? .infinity) < 5)
        #expect((out.figures["plan_day_2k_events"] ?? 0) > 0, "the synthetic shop has something to plan")
        #expect(out.figures["plan_replay_2k_spans_identical"] == 16, "the jobs' own replays plan what a 5-day replay plans")
        #expect((out.figures["catchup_2k_transactional"] ?? 0) > 0, "the outage left transactional messages to catch up")
        #expect(out.figures["catchup_2k_others_before_last_transactional"] == 0, "after an outage the orders' own messages go first")
        #expect(out.figures["multinode_chaos_lost"] == 0 && out.figures["multinode_chaos_sent_after_takeover"] == 0)
    }

    /// Issue 28's figures at a small size: the report over 90 days of a filled shop, and planning
    /// with and without control groups and arms (the same events but the group's).
    @Test func theReportAndTheArmsCostAreMeasured() throws {
        let out = try bench(["report", "--customers", "2000", "--rows", "20000"])
        #expect(out.run.status == 0, "\(out.run.stdout)\n\(out.run.stderr)")
        let f = out.figures
        for name in ["report_90d_20k_first_seconds", "report_90d_20k_after_changes_seconds", "report_90d_20k_by_job_seconds", "report_90d_20k_by_job_peak_memory", "report_90d_20k_by_slot_seconds", "plan_day_2k_seconds_plain",
                     "plan_day_2k_seconds_with_holdouts_and_arms", "plan_day_2k_holdouts_and_arms_cost"] {
            #expect(f[name] != nil && out.json[name] != nil, "\(name) measured and written")
        }
        #expect((f["report_90d_20k_after_changes_customers"] ?? 0) > 0, "one order in a hundred paid later marks its customer")
        let plain = f["plan_day_2k_events_plain"] ?? 0, measured = f["plan_day_2k_events_with_holdouts_and_arms"] ?? 0
        #expect(plain > 100 && measured < plain && measured > plain * 0.9, "about 5% held out of the jobs that may be: \(plain) against \(measured)")
    }

    /// Issue 29's figures at a small size: every agent's list of the day, and an agent's page
    /// logged in as the agent, with every call on it.
    @Test func theCallListsAndAnAgentsPageAreMeasured() throws {
        let out = try bench(["calls", "--customers", "2000", "--calls", "200", "--agents", "10", "--history-days", "3"])
        #expect(out.run.status == 0, "\(out.run.stdout)\n\(out.run.stderr)")
        let f = out.figures
        for name in ["calls_all_lists_2k_seconds", "calls_all_lists_2k_peak_memory", "calls_agent_page_2k_seconds", "calls_agent_page_2k_size"] {
            #expect(f[name] != nil && out.json[name] != nil, "\(name) measured and written")
        }
        #expect(f["calls_all_lists_2k_calls"] == 200 && f["calls_agent_page_2k_calls"] == 20, "every call listed; an agent's twenty on her page")
    }

    @Test func generatorIsDeterministic() throws {
        var a = SplitMix(seed: 5), b = SplitMix(seed: 5)
        let folder = TestSupport.temporaryFolder("gen")
        let x = folder.appendingPathComponent("a.csv"), y = folder.appendingPathComponent("b.csv")
        try ShopGenerator.orders(500, customers: 100, endingOn: LocalDate(iso: "2026-12-01")!, to: x, &a)
        try ShopGenerator.orders(500, customers: 100, endingOn: LocalDate(iso: "2026-12-01")!, to: y, &b)
        #expect(try Data(contentsOf: x) == Data(contentsOf: y))
    }
}
