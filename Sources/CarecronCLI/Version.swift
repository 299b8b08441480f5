import CarecronSQLite
import CarecronStorage

/// The release, set here by hand when one is tagged (README, "Versions"); `carecron --version`
/// prints it with the SQLite library the binary runs on, which ops need for bug reports.
enum CarecronVersion {
    static let release = "0.10.0"

    static var description: String { "carecron \(release) (SQLite \(Store.sqliteLibraryVersion))" }
}
