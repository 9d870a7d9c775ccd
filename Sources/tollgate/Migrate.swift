import ArgumentParser
import Foundation
import TollgateDomain
import TollgateFormats
import TollgateServer
import TollgateStore

/// `tollgate migrate --from DATA_DIR --to postgres://…`: moves a SQLite store to PostgreSQL.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a data directory's SQLite store into PostgreSQL, then verify the copy.",
        discussion: """
            Copies every table in key order, in batches, printing progress; then compares row counts per table and checks \\
            every account's audit chain in the target. Safe to run again: rows already copied are kept, so an interrupted \\
            copy resumes. Stop the server first, or the copy misses what it writes meanwhile. The signing keys are copied \\
            sealed: start the replicas with '--key-encryption-key-file DIR/key-encryption-key'. \\
            Exit code 0 when the copy verifies, 1 when it does not.
            """)

    @Option(help: "The data directory holding tollgate.sqlite.") var from: String
    @Option(help: "postgres://user:password@host:port/database[?schema=NAME]") var to: String

    func run() async throws {
        var source = ServerConfiguration()
        source.dataDirectory = from
        guard FileManager.default.fileExists(atPath: source.databasePath) else {
            throw ValidationError("No tollgate.sqlite in '\(from)'.")
        }
        let copier: StoreCopier
        do {
            // Key files of earlier versions go into the SQLite file first, so that they move too.
            try await upgradeDataDirectory(source)
            copier = StoreCopier(source: try await Store.openSQLite(path: source.databasePath), target: try await Store.openPostgreSQL(url: to))
        } catch {
            FileHandle.standardError.write(Data("error: cannot open the stores: \(error)\n".utf8))
            throw ExitCode(3)
        }
        for table in StoreCopier.tables {
            try await copier.copy(table) { copied, total in
                print("\(table.name): \(copied) of \(total)")
            }
        }
        let (counts, chains) = try await copier.verify()
        var ok = true
        print("\nverification")
        for count in counts {
            let same = count.source == count.target
            ok = ok && same
            print("  \(count.table): \(count.source) in SQLite, \(count.target) in PostgreSQL\(same ? "" : "  MISMATCH")")
        }
        for (account, verification) in chains {
            ok = ok && verification.valid
            print("  audit chain of \(account): \(verification.valid ? "intact" : "BROKEN: \(verification.reason ?? "")") (\(verification.checked) entries)")
        }
        print(ok ? "\nThe copy verifies." : "\nThe copy does NOT verify.")
        if !ok { throw ExitCode(1) }
    }
}
