import NIOHTTP1

/// A response as InfluxDB would give it: status, body, and the headers clients look for.
struct Answer: Equatable {
    var status: HTTPResponseStatus
    var body: String = ""
    var extraHeaders: [(String, String)] = []
    /// Close the connection after this answer (the rest of the request was not read).
    var closesConnection = false

    /// What `X-Influxdb-Version` says: the 1.x API this server speaks (python `influxdb`'s
    /// `ping()` returns it; InfluxDB 1.8 is the first with the v2 write API).
    static let influxVersion = "1.8.10"

    static let noContent = Answer(status: .noContent)

    static func json(_ status: HTTPResponseStatus, _ body: String) -> Answer {
        Answer(status: status, body: body, extraHeaders: [("Content-Type", "application/json")])
    }

    /// An error in the shape of `version`: v1 `{"error": message}` (and `X-Influxdb-Error`),
    /// v2 `{"code": code, "message": message}`.
    static func error(_ status: HTTPResponseStatus, _ version: APIVersion, code: String, _ message: String) -> Answer {
        switch version {
        case .v1:
            var answer = json(status, #"{"error":\#(jsonString(message))}"#)
            answer.extraHeaders.append(("X-Influxdb-Error", String(message.prefix(1024).map { $0.isNewline ? " " : $0 })))
            return answer
        case .v2:
            return json(status, #"{"code":\#(jsonString(code)),"message":\#(jsonString(message))}"#)
        }
    }

    /// The ring is full, or the database away: retry later. v1 clients (Telegraf) retry a 503,
    /// v2 clients a 429; both honour `Retry-After`. Never a 4xx they would drop the data on.
    static func busy(_ version: APIVersion, _ message: String) -> Answer {
        var answer = version == .v1
            ? error(.serviceUnavailable, .v1, code: "unavailable", message)
            : error(.tooManyRequests, .v2, code: "too many requests", message)
        answer.extraHeaders.append(("Retry-After", "1"))
        return answer
    }

    static func tooLarge(_ version: APIVersion, _ message: String) -> Answer {
        error(.payloadTooLarge, version, code: "request too large", message).closing()
    }

    /// The same answer, closing the connection after it.
    func closing() -> Answer {
        var answer = self
        answer.closesConnection = true
        return answer
    }

    static func unauthorized(_ version: APIVersion) -> Answer {
        var answer = error(.unauthorized, version, code: "unauthorized", "unauthorized access")
        if version == .v1 { answer.extraHeaders.append(("WWW-Authenticate", #"Basic realm="linemaster""#)) }
        return answer
    }

    static func == (a: Answer, b: Answer) -> Bool {
        a.status == b.status && a.body == b.body && a.closesConnection == b.closesConnection
            && a.extraHeaders.elementsEqual(b.extraHeaders, by: ==)
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
