import Foundation

/// Reads `linemaster status --json` the way a script would, with a real JSON parser.
enum StatusJSON {
    /// The `ring` object, every value as text.
    static func parseRing(_ output: String) -> [String: String] {
        guard let data = output.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let ring = root["ring"] as? [String: Any] else { return [:] }
        return ring.mapValues { "\($0)" }
    }

    /// Worker entries by name, every value as text (`null` becomes a missing key).
    static func parseWorkers(_ output: String) -> [String: [String: String]] {
        guard let data = output.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let workers = root["workers"] as? [[String: Any]] else { return [:] }
        var result: [String: [String: String]] = [:]
        for worker in workers {
            guard let name = worker["name"] as? String else { continue }
            var fields: [String: String] = [:]
            for (key, value) in worker where !(value is NSNull) { fields[key] = "\(value)" }
            result[name] = fields
        }
        return result
    }

    /// The `sockets` array, each entry's values as text, `datagrams_dropped`'s reasons flattened in.
    static func parseSockets(_ output: String) -> [[String: String]]? {
        guard let data = output.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let sockets = root["sockets"] as? [[String: Any]] else { return nil }
        return sockets.map { socket in
            var fields = socket.filter { $0.key != "datagrams_dropped" }.mapValues { "\($0)" }
            for (reason, count) in socket["datagrams_dropped"] as? [String: Any] ?? [:] { fields[reason] = "\(count)" }
            return fields
        }
    }
}
