import LineProtocol
import Testing

@Suite("JSON output") struct PointJSONTests {
    private func json(_ line: String) -> [String] {
        var lines: [String] = []
        Array(line.utf8).withUnsafeBytes { bytes in
            LineParser().parse(bytes, defaultTime: 0) { view in
                var out: [UInt8] = []
                PointJSON.append(view, to: &out)
                lines.append(String(decoding: out, as: UTF8.self))
            } onError: { _ in }
        }
        return lines
    }

    @Test func writesTheDocumentedShape() {
        #expect(json(#"cpu,host=a usage=0.5,n=3i,u=7u,s="x",b=true 1700000000000000000"#) == [
            #"{"measurement": "cpu", "tags": [["host", "a"]], "fields": [["usage", "float", "0.5"], ["n", "int", "3"], ["u", "uint", "7"], ["s", "string", "x"], ["b", "bool", "true"]], "time": 1700000000000000000}"#,
        ])
    }

    @Test func escapesJSONStringsAndUnescapesLineProtocol() {
        #expect(json("m\\ x,k=a\u{01}b s=\"q\\\"\\\\\n\t\" 1") == [
            #"{"measurement": "m x", "tags": [["k", "a\u0001b"]], "fields": [["s", "string", "q\"\\\n\t"]], "time": 1}"#,
        ])
    }

    @Test func floatsUseTheShortestRoundTripText() {
        #expect(json("m a=0.1,b=1e-5,c=100,d=1.7976931348623157e308 0") == [
            #"{"measurement": "m", "tags": [], "fields": [["a", "float", "0.1"], ["b", "float", "1e-05"], ["c", "float", "100.0"], ["d", "float", "1.7976931348623157e+308"]], "time": 0}"#,
        ])
    }

    @Test func borrowedAndOwnedPointsGiveTheSameJSON() {
        let line = #"m,t=x\,y f=1.5,s="a\"b",i=-2i 9"#
        #expect(json(line) == [PointJSON.string(for: point(line)!)])
    }
}
