@testable import HTTPIngest
import LineProtocol
import NIOHTTP1
import Testing

@Suite struct Routing {
    @Test func pathsAndMethodsMapToInfluxDBsEndpoints() {
        #expect(Endpoint.route(.POST, path: "/write") == .success(.write(.v1)))
        #expect(Endpoint.route(.POST, path: "/api/v2/write") == .success(.write(.v2)))
        #expect(Endpoint.route(.HEAD, path: "/ping") == .success(.ping))
        #expect(Endpoint.route(.GET, path: "/api/v2/health") == .success(.health))
        #expect(Endpoint.route(.POST, path: "/query") == .success(.query))
        #expect(Endpoint.route(.GET, path: "/write") == .failure(.methodNotAllowed(allowed: [.POST])))
        #expect(Endpoint.route(.GET, path: "/metrics/x") == .failure(.notFound))
    }

    @Test func onlyWritesAndQueriesNeedCredentials() {
        #expect([Endpoint.write(.v1), .write(.v2), .query].allSatisfy { $0.requiresCredentials })
        #expect(![Endpoint.ping, .health, .ready].contains { $0.requiresCredentials })
    }
}

@Suite struct Parameters {
    @Test func queryStringsAreDecodedAsFormsAre() {
        let query = QueryParameters(uri: "/write?db=my+db&rp=a%2Fb&u=&p=%E2%82%AC&bad=%4")
        #expect(query["db"] == "my db")
        #expect(query["rp"] == "a/b")
        #expect(query["u"] == "")
        #expect(query["p"] == "€")
        #expect(query["bad"] == "", "a malformed escape is no value")
        #expect(query["missing"] == nil)
    }

    @Test func eachAPIVersionHasItsOwnPrecisions() {
        func precision(_ text: String, _ version: APIVersion) -> Precision? {
            WriteParameters(QueryParameters(uri: "/w?precision=\(text)"), version: version)?.precision
        }
        #expect(["n", "ns", "u", "us", "ms", "s", "m", "h"].map { precision($0, .v1) }
            == [.nanoseconds, .nanoseconds, .microseconds, .microseconds, .milliseconds, .seconds, .minutes, .hours])
        #expect(["ns", "us", "ms", "s"].map { precision($0, .v2) } == [.nanoseconds, .microseconds, .milliseconds, .seconds])
        #expect(precision("h", .v2) == nil && precision("n", .v2) == nil && precision("d", .v1) == nil)
    }

    @Test func theDatabaseIsDbInV1AndBucketInV2() {
        let query = QueryParameters(uri: "/w?db=one&bucket=two")
        #expect(WriteParameters(query, version: .v1)?.database == "one")
        #expect(WriteParameters(query, version: .v2)?.database == "two")
    }
}

@Suite struct Credentials {
    let authenticator = Authenticator(tokens: ["t0ken"], users: ["telegraf:pa:ss"])

    func admits(_ headers: [(String, String)], _ uri: String = "/write") -> Bool {
        authenticator.admits(HTTPHeaders(headers), QueryParameters(uri: uri))
    }

    @Test func everyFormInfluxDBAcceptsIsAccepted() {
        #expect(admits([("Authorization", "Token t0ken")]))
        #expect(admits([("Authorization", "Token telegraf:pa:ss")]))
        #expect(admits([("Authorization", "Basic dGVsZWdyYWY6cGE6c3M=")]))  // telegraf:pa:ss
        #expect(admits([], "/write?u=telegraf&p=pa%3Ass"))
    }

    @Test func wrongOrMissingCredentialsAreRefused() {
        #expect(!admits([]))
        #expect(!admits([("Authorization", "Token t0ke")]))
        #expect(!admits([("Authorization", "Token t0ken2")]))
        #expect(!admits([("Authorization", "Token t0ken" + String(repeating: "x", count: 256))]), "lengths 256 apart differ")
        #expect(!admits([("Authorization", "Bearer t0ken")]))
        #expect(!admits([("Authorization", "Basic !!!")]))
        #expect(!admits([], "/write?u=telegraf&p=pass"))
    }

    @Test func withoutSecretsEveryRequestIsAdmitted() {
        #expect(Authenticator(tokens: [], users: []).admits(HTTPHeaders(), QueryParameters(uri: "/")))
    }
}

@Suite struct Gzip {
    /// `printf 'cpu v=1\n' | gzip -n`.
    static let compressed: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x2e, 0x28, 0x55, 0x28, 0xb3,
        0x35, 0xe4, 0x02, 0x00, 0x43, 0x7c, 0x6f, 0x09, 0x08, 0x00, 0x00, 0x00,
    ]

    @Test func aBodyInflatesWhateverItsPieces() throws {
        for cut in 1 ..< Self.compressed.count {
            let inflater = try GzipInflater(limit: 1024)
            try Self.compressed[..<cut].withUnsafeBytes { try inflater.feed($0) }
            try Self.compressed[cut...].withUnsafeBytes { try inflater.feed($0) }
            #expect(try inflater.finish() == Array("cpu v=1\n".utf8))
        }
    }

    @Test func aDamagedOrCutStreamIsCorrupt() throws {
        var damaged = Self.compressed
        damaged[12] ^= 0xff
        let inflater = try GzipInflater(limit: 1024)
        #expect(throws: InflateError.self) {
            try damaged.withUnsafeBytes { try inflater.feed($0) }
            _ = try inflater.finish()
        }
        let cut = try GzipInflater(limit: 1024)
        try Self.compressed.dropLast(4).withUnsafeBytes { try cut.feed($0) }
        #expect(throws: InflateError.corrupt("the gzip stream ends early")) { _ = try cut.finish() }
    }

    @Test func membersOneAfterTheOtherAreOneBodyWhateverThePieces() throws {
        let twice = Self.compressed + Self.compressed
        for cut in [Self.compressed.count, Self.compressed.count + 5, twice.count] {
            let inflater = try GzipInflater(limit: 1024)
            try twice[..<cut].withUnsafeBytes { try inflater.feed($0) }
            try twice[cut...].withUnsafeBytes { try inflater.feed($0) }
            #expect(try inflater.finish() == Array("cpu v=1\ncpu v=1\n".utf8))
        }
    }

    @Test func aBodyOfExactlyTheLimitInflates() throws {
        let inflater = try GzipInflater(limit: 8)
        try Self.compressed.withUnsafeBytes { try inflater.feed($0) }
        #expect(try inflater.finish().count == 8)
    }

    @Test func inflatingStopsAtTheLimit() throws {
        let inflater = try GzipInflater(limit: 7)
        #expect(throws: InflateError.tooLarge(limit: 7)) { try Self.compressed.withUnsafeBytes { try inflater.feed($0) } }
    }
}

@Suite struct Answers {
    @Test func errorsHaveTheShapeOfTheirAPIVersion() {
        let v1 = Answer.error(.badRequest, .v1, code: "invalid", "bad \"line\"\n")
        #expect(v1.body == #"{"error":"bad \"line\"\n"}"#)
        #expect(v1.extraHeaders.contains { $0 == ("X-Influxdb-Error", "bad \"line\" ") })
        #expect(Answer.error(.badRequest, .v2, code: "invalid", "x").body == #"{"code":"invalid","message":"x"}"#)
    }

    @Test func aBusyPipelineIs503ForV1And429ForV2WithRetryAfter() {
        #expect(Answer.busy(.v1, "full").status == .serviceUnavailable)
        #expect(Answer.busy(.v2, "full").status == .tooManyRequests)
        #expect(Answer.busy(.v2, "full").extraHeaders.contains { $0 == ("Retry-After", "1") })
    }

    @Test func refusedCredentialsAskForBasicAuthOnV1Only() {
        #expect(Answer.unauthorized(.v1).extraHeaders.contains { $0 == ("WWW-Authenticate", #"Basic realm="linemaster""#) })
        #expect(Answer.unauthorized(.v2).body == #"{"code":"unauthorized","message":"unauthorized access"}"#)
    }
}
