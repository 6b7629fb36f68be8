/// Where `--http` sends: `http://HOST[:PORT]/PATH?QUERY`, HOST a literal address or `localhost`.
struct HTTPTarget {
    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    let address: SocketAddress
    /// What the `Host` header says: the URL's host and port as written.
    let authority: String
    /// The request target: the path and query of the URL, `/` when it has none.
    let pathAndQuery: String

    init(parsing url: String) throws(ParseError) {
        let scheme = "http://"
        guard url.hasPrefix(scheme) else {
            throw ParseError(description: "\"\(url)\": expected http://HOST:PORT/PATH, e.g. http://127.0.0.1:8086/write?db=bench (https is not supported)")
        }
        let rest = url.dropFirst(scheme.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        authority = String(rest[..<slash])
        pathAndQuery = slash == rest.endIndex ? "/" : String(rest[slash...])
        let hasPort = authority.last != "]" && authority.contains(":")
        do { address = try SocketAddress(parsing: hasPort ? authority : authority + ":80") } catch {
            throw ParseError(description: "\(url): \(error)")
        }
    }
}
