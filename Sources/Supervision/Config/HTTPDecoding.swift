import WorkerGrants

// The [http] section: what workers with the `http` flag receive.
extension ConfigDecoder {
    static let httpKeys = [
        "max_body_size", "ack", "database_tag", "max_connections", "request_timeout", "idle_timeout",
        "commit_timeout", "auth_tokens", "users",
    ]

    mutating func decodeHTTP(_ table: TOMLTable) -> HTTPGrant {
        var settings = HTTPGrant()
        for entry in table.entries {
            switch entry.key {
            case "max_body_size": settings.maxBodySize = byteSize(entry, in: 1024...(1 << 30)) ?? settings.maxBodySize
            case "ack":
                guard let text = string(entry) else { continue }
                if let ack = HTTPGrant.Acknowledgement(rawValue: text) {
                    settings.ack = ack
                } else {
                    report(line: entry.value.line, "unknown ack \"\(text)\": expected \"ring\" or \"commit\"")
                }
            case "database_tag":
                guard let tag = string(entry) else { continue }
                if tag.isEmpty || tag.utf8.contains(where: { $0 < 0x20 }) {
                    report(line: entry.value.line, "database_tag must be a tag key without control characters")
                } else {
                    settings.databaseTag = tag
                }
            case "max_connections": settings.maxConnections = integer(entry, in: 1...65_536) ?? settings.maxConnections
            case "request_timeout": settings.requestTimeout = duration(entry) ?? settings.requestTimeout
            case "idle_timeout": settings.idleTimeout = duration(entry) ?? settings.idleTimeout
            case "commit_timeout": settings.commitTimeout = duration(entry) ?? settings.commitTimeout
            case "auth_tokens": settings.authTokens = credentials(entry, form: "a token")
            case "users": settings.users = credentials(entry, form: "\"name:password\"")
            default: reportUnknown(entry, in: "[http]", known: Self.httpKeys)
            }
        }
        let credentialBytes = (settings.authTokens + settings.users).reduce(0) { $0 + $1.utf8.count + 6 }
        if credentialBytes > Self.maxCredentialBytes {
            report(line: table.entries.first { $0.key == "users" || $0.key == "auth_tokens" }?.line ?? 0,
                   "auth_tokens and users hold more than \(Self.maxCredentialBytes / 1024) KiB: keep a few credentials per linemaster")
        }
        return settings
    }

    /// The [http] section travels through a pipe written before the worker reads it, which holds
    /// 64 KiB: the credentials must leave room for the rest.
    static let maxCredentialBytes = 32 << 10

    /// Tokens or `name:password` pairs: non-empty, one line each (they travel as lines of a pipe).
    private mutating func credentials(_ entry: TOMLTable.Entry, form: String) -> [String] {
        var result: [String] = []
        for (text, line) in strings(entry) ?? [] {
            let wellFormed = !text.isEmpty && !text.contains("\n") && !text.contains("\r")
                && (entry.key != "users" || text.dropFirst().contains(":"))
            if wellFormed { result.append(text) } else { report(line: line, "each element of \(entry.key) must be \(form) on one line") }
        }
        return result
    }
}
