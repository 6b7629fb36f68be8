import NIOHTTP1

/// The two write APIs, which answer errors in different shapes.
enum APIVersion: Equatable {
    /// InfluxDB 1.x: `/write`, errors as `{"error": "..."}`.
    case v1
    /// InfluxDB 2.x: `/api/v2/write`, errors as `{"code": "...", "message": "..."}`.
    case v2
}

/// What a request asks for, by its path and method (InfluxDB's routes).
enum Endpoint: Equatable {
    case write(APIVersion)
    /// `/ping`: 204, or 200 with the version when `verbose=true`.
    case ping
    /// `/health`, `/api/v2/health`: pass or fail, as JSON.
    case health
    /// `/ready`.
    case ready
    /// `/query`: answered with an empty result, so that clients' `CREATE DATABASE` succeeds.
    case query
    /// `/metrics`: every worker's counters as Prometheus text, as `linemaster status --prometheus` prints them.
    case metrics

    /// Why a request has no endpoint.
    enum Refusal: Error, Equatable {
        case notFound
        case methodNotAllowed(allowed: [HTTPMethod])
    }

    /// The endpoint of `path` (without the query) for `method`.
    static func route(_ method: HTTPMethod, path: Substring) -> Result<Endpoint, Refusal> {
        let (endpoint, allowed): (Endpoint, [HTTPMethod])
        switch path {
        case "/write": (endpoint, allowed) = (.write(.v1), [.POST])
        case "/api/v2/write": (endpoint, allowed) = (.write(.v2), [.POST])
        case "/ping": (endpoint, allowed) = (.ping, [.GET, .HEAD])
        case "/health", "/api/v2/health": (endpoint, allowed) = (.health, [.GET, .HEAD])
        case "/ready": (endpoint, allowed) = (.ready, [.GET, .HEAD])
        case "/query": (endpoint, allowed) = (.query, [.GET, .POST])
        case "/metrics": (endpoint, allowed) = (.metrics, [.GET, .HEAD])
        default: return .failure(.notFound)
        }
        return allowed.contains(method) ? .success(endpoint) : .failure(.methodNotAllowed(allowed: allowed))
    }

    /// Whether the endpoint needs credentials when authentication is on (probes and the
    /// metrics stay open, as InfluxDB's do: they hold counts, never data or credentials).
    var requiresCredentials: Bool {
        switch self {
        case .write, .query: true
        case .ping, .health, .ready, .metrics: false
        }
    }

    /// Its label in `linemaster_http_requests_total` (one of ``HTTPRequestCounters/endpoints``).
    var label: String {
        switch self {
        case .write(.v1): "/write"
        case .write(.v2): "/api/v2/write"
        case .ping: "/ping"
        case .health: "/health"
        case .ready: "/ready"
        case .query: "/query"
        case .metrics: "/metrics"
        }
    }

    /// The label of the endpoint `head` asks for; `other` when there is none.
    static func label(of head: HTTPRequestHead) -> String {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard case .success(let endpoint) = route(head.method, path: path) else { return "other" }
        return endpoint.label
    }

    /// The version whose error shape answers a refusal on this endpoint.
    var apiVersion: APIVersion {
        switch self {
        case .write(let version): version
        case .ping, .health, .ready, .query, .metrics: .v1
        }
    }
}
