import FoundationEssentials

/// What `e2e` reads of `linemaster status --json`, decoded as any client would.
struct StatusDocument: Decodable {
    struct Worker: Decodable {
        let name: String
        let pid: Int?
        let state: String
        let activity: String?
        let batches: Double?
        let rowsInserted: Double?

        enum CodingKeys: String, CodingKey {
            case name, pid, state, activity, batches
            case rowsInserted = "rows_inserted"
        }
    }

    let workers: [Worker]

    /// Runs `linemaster status -D DIRECTORY --json`; nil while no supervisor answers.
    static func read(bin: String, dataDirectory: String) -> StatusDocument? {
        guard let (status, output) = try? runCapturing([bin + "/linemaster", "status", "-D", dataDirectory, "--json"]),
              status == 0 || status == 1 else { return nil }
        return try? JSONDecoder().decode(StatusDocument.self, from: Data(output.utf8))
    }
}
