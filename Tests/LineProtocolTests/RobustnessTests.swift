import LineProtocol
import Testing

/// Random input never crashes or hangs the parser, and every line is either a point or an error.
@Suite("Robustness") struct RobustnessTests {
    @Test func randomBytesNeverCrashOrHang() {
        var rng = SeededGenerator(seed: 0x5EED)
        let interesting = Array(#"m,= \"i u.-e0123456789tf#\xé"#.utf8) + [0x0A, 0x0D, 0x01, 0x7F, 0xFF, 0xC3, 0x80]
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...200, using: &rng)
            let bytes: [UInt8] = (0..<length).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            checkParses(bytes)
        }
    }

    @Test func mutatedValidLinesNeverCrashOrHang() {
        var rng = SeededGenerator(seed: 7)
        let seed = Array("cpu,host=h1,region=r\\ 2 usage=12.5,idle=3i,u=4u,ok=true,label=\"x\\\"y\" 1700000000000000000\n".utf8)
        for _ in 0..<5_000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: i)
                default: bytes.insert(bytes[Int.random(in: 0..<bytes.count, using: &rng)], at: i)
                }
                if bytes.isEmpty { bytes = seed }
            }
            checkParses(bytes + seed)
        }
    }

    /// A string runs to the next quote, as in the reference: the opening quote of the next line
    /// closes it, so `m f="x` twice is one bad line of two; and scanning stays linear.
    @Test func unclosedStringsRunToTheNextQuoteInLinearTime() {
        let lines = 50_000
        let input = Array(String(repeating: "m f=\"x\n", count: lines).utf8)
        let clock = ContinuousClock()
        var result: (points: [Point], errors: [LineProtocolError]) = ([], [])
        let elapsed = clock.measure { result = parseBytes(input) }
        #expect(result.errors.count == lines / 2)
        #expect(result.points.isEmpty)
        #expect(elapsed < .seconds(10))
    }

    /// Parses `bytes` and checks the invariants: errors point inside the input, the clean last line
    /// is never lost, and points have fields.
    private func checkParses(_ bytes: [UInt8]) {
        let result = parseBytes(bytes)
        let lineCount = bytes.count { $0 == 0x0A } + 1
        for error in result.errors {
            #expect(error.line >= 1 && error.line <= lineCount && error.column >= 1)
        }
        for p in result.points { #expect(!p.fields.isEmpty && !p.measurement.isEmpty) }
    }
}
