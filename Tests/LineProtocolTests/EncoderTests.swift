import LineProtocol
import Testing

@Suite("Encoder") struct EncoderTests {
    @Test func writesEveryTypeAndTheTimestamp() throws {
        let p = Point(measurement: "cpu", tags: [.init("host", "a")], fields: [
            .init("f", .float(0.5)), .init("i", .int(-3)), .init("u", .uint(7)),
            .init("s", .string("x")), .init("b", .bool(false)),
        ], time: 1_700_000_000_000_000_000)
        #expect(try LineProtocolEncoder().encode(p) == "cpu,host=a f=0.5,i=-3i,u=7u,s=\"x\",b=false 1700000000000000000\n")
    }

    @Test func escapesEachElementByItsRule() throws {
        let p = Point(measurement: "c,p u=", tags: [.init("k =,", "v =,")],
                      fields: [.init("f =,", .string(#"say "hi" \ bye"#))], time: 0)
        let line = try LineProtocolEncoder().encode(p)
        #expect(line == #"c\,p\ u= k\ \=\,=v\ \=\,"#.replacingOccurrences(of: " k", with: ",k")
            + #" f\ \=\,="say \"hi\" \\ bye" 0"# + "\n")
        #expect(parse(line).points == [p])
    }

    @Test func writesTimesInThePrecision() throws {
        let p = Point(measurement: "m", fields: [.init("f", .int(1))], time: 5_000_000_000)
        #expect(try LineProtocolEncoder(precision: .seconds).encode(p) == "m f=1i 5\n")
    }

    @Test func refusesWhatLineProtocolCannotCarry() {
        let f = [Point.Field("f", .int(1))]
        let refused = [
            Point(measurement: "", fields: f, time: 0),
            Point(measurement: "#m", fields: f, time: 0),
            Point(measurement: "m\\", fields: f, time: 0),
            Point(measurement: "m\n", fields: f, time: 0),
            Point(measurement: "m", tags: [.init("k", "")], fields: f, time: 0),
            Point(measurement: "m", tags: [.init("k", "a\nb")], fields: f, time: 0),
            Point(measurement: "m", tags: [.init("k", "v"), .init("k", "w")], fields: f, time: 0),
            Point(measurement: "m", fields: [], time: 0),
            Point(measurement: "m", fields: [.init("f", .float(.nan))], time: 0),
            Point(measurement: "m", fields: [.init("f", .float(.infinity))], time: 0),
        ]
        for p in refused {
            #expect(throws: LineProtocolEncodingError.self, "\(p)") { try LineProtocolEncoder().encode(p) }
        }
    }

    @Test func randomPointsSurviveARoundTrip() throws {
        var rng = SeededGenerator(seed: 42)
        var encoded = 0
        for _ in 0..<2_000 {
            let p = randomPoint(&rng)
            var out: [UInt8] = []
            do { try LineProtocolEncoder().append(p, to: &out) } catch { continue }
            encoded += 1
            let result = parseBytes(out)
            #expect(result.errors.isEmpty, "\(String(decoding: out, as: UTF8.self))")
            #expect(result.points == [p], "\(String(decoding: out, as: UTF8.self))")
        }
        #expect(encoded == 2_000)
    }
}

/// Characters chosen to exercise escaping: separators, backslashes, quotes, non-ASCII, controls.
private let alphabet: [Character] = ["a", "b", "Z", "0", ",", "=", " ", "\\", "\"", "#", "é", "日", "\t", "\n", "'"]

/// Random text; `excluding` removes characters, and names never end in a backslash or start with `#`
/// (what the encoder refuses, tested above), so that almost every random point can be encoded.
private func randomText(_ rng: inout SeededGenerator, nonEmpty: Bool = true, excluding: Set<Character> = []) -> String {
    let n = Int.random(in: (nonEmpty ? 1 : 0)...8, using: &rng)
    var text = String((0..<n).map { _ in alphabet.filter { !excluding.contains($0) }.randomElement(using: &rng)! })
    if nonEmpty {
        if text.hasSuffix("\\") { text += "a" }
        if text.hasPrefix("#") { text = "a" + text }
    }
    return text
}

private func randomName(_ rng: inout SeededGenerator) -> String {
    randomText(&rng, excluding: ["\t", "\n"])
}

func randomFieldValue(_ rng: inout SeededGenerator) -> FieldValue {
    switch Int.random(in: 0..<5, using: &rng) {
    case 0:
        let x = Double(bitPattern: rng.next())
        return .float(x.isFinite ? x : Double.random(in: -1e6...1e6, using: &rng))
    case 1: return .int(Int64(bitPattern: rng.next()))
    case 2: return .uint(rng.next())
    case 3: return .bool(Bool.random(using: &rng))
    default: return .string(randomText(&rng, nonEmpty: false))
    }
}

private func randomPoint(_ rng: inout SeededGenerator) -> Point {
    var tags: [Point.Tag] = []
    for _ in 0..<Int.random(in: 0...3, using: &rng) {
        let key = randomName(&rng)
        if !tags.contains(where: { $0.key == key }) { tags.append(.init(key, randomText(&rng, excluding: ["\n"]))) }
    }
    let fields = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
        Point.Field(randomName(&rng), randomFieldValue(&rng))
    }
    return Point(measurement: randomName(&rng), tags: tags, fields: fields, time: Int64(bitPattern: rng.next()))
}
