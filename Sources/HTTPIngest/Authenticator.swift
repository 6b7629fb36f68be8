import NIOHTTP1

/// Checks a request's credentials against the `[http]` tokens and users, as InfluxDB accepts
/// them: `Authorization: Token T` (v2, and InfluxDB 1.8's `Token name:password`), Basic auth,
/// and the `u`/`p` query parameters (v1).
struct Authenticator {
    private let secrets: [[UInt8]]

    init(tokens: [String], users: [String]) {
        // A token and a `name:password` pair are both compared as one secret string.
        secrets = (tokens + users).map { Array($0.utf8) }
    }

    /// Whether requests must carry credentials at all.
    var isEnabled: Bool { !secrets.isEmpty }

    /// Whether the request presents one of the configured secrets.
    func admits(_ headers: HTTPHeaders, _ query: QueryParameters) -> Bool {
        guard isEnabled else { return true }
        for candidate in Self.presented(headers, query) where matches(candidate) { return true }
        return false
    }

    /// Every credential the request carries, each as `token` or `name:password`.
    static func presented(_ headers: HTTPHeaders, _ query: QueryParameters) -> [[UInt8]] {
        var candidates: [[UInt8]] = []
        for value in headers["authorization"] {
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            switch parts[0].lowercased() {
            case "token": candidates.append(Array(parts[1].utf8))
            case "basic": if let decoded = base64Decode(parts[1]) { candidates.append(decoded) }
            default: continue
            }
        }
        if let user = query["u"], let password = query["p"] { candidates.append(Array("\(user):\(password)".utf8)) }
        return candidates
    }

    /// Compares with every secret, each in time that depends only on the lengths, so that the
    /// answer's timing does not tell how much of a guess was right.
    private func matches(_ candidate: [UInt8]) -> Bool {
        var found = false
        for secret in secrets {
            var difference: UInt8 = secret.count == candidate.count ? 0 : 1
            for i in 0 ..< secret.count {
                difference |= secret[i] ^ (i < candidate.count ? candidate[i] : 0)
            }
            found = found || difference == 0
        }
        return found
    }

    /// RFC 4648 base64 (padding optional); nil for anything else.
    static func base64Decode(_ text: Substring) -> [UInt8]? {
        var bits: UInt32 = 0, count = 0
        var bytes: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: return nil
            }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return bytes
    }
}
