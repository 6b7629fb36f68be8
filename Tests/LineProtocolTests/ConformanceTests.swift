import Foundation
import LineProtocol
import Testing

/// The 240 decode cases of InfluxData's line-protocol corpus (`shared/conformance/lineproto`).
struct ConformanceCase: CustomTestStringConvertible, Sendable {
    let key: String
    let input: [UInt8]
    let precision: Precision
    let defaultTime: Int64
    let ok: Bool
    let points: [ExpectedPoint]
    let about: String

    var testDescription: String { "\(key.prefix(8)) \(String(decoding: input.prefix(60), as: UTF8.self).debugDescription)" }

    struct ExpectedPoint: Sendable {
        let measurement: String
        let tags: [[String]]
        let fields: [(key: String, type: String, value: String, floatBits: UInt64?)]
        let time: Int64
    }

    static let fileURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/conformance/lineproto/decode.jsonl")

    static func load() throws -> [ConformanceCase] {
        let text = try String(contentsOf: fileURL, encoding: .utf8)
        return try text.split(separator: "\n").map { try ConformanceCase(json: Data($0.utf8)) }
    }

    init(json: Data) throws {
        let o = try JSONSerialization.jsonObject(with: json) as! [String: Any]
        key = o["key"] as! String
        about = o["about"] as? String ?? ""
        input = Array(Data(base64Encoded: o["input_b64"] as! String)!)
        precision = Precision(rawValue: o["precision"] as! String)!
        defaultTime = (o["default_time_ns"] as! NSNumber).int64Value
        ok = o["ok"] as! Bool
        points = (o["points"] as! [[String: Any]]).map { p in
            ExpectedPoint(
                measurement: p["measurement"] as! String,
                tags: p["tags"] as! [[String]],
                fields: (p["fields"] as! [[String: Any]]).map { f in
                    (f["key"] as! String, f["type"] as! String, f["value"] as! String,
                     (f["float_bits"] as? String).flatMap { UInt64($0.dropFirst(2), radix: 16) })
                },
                time: (p["time_ns"] as! NSNumber).int64Value)
        }
    }
}

@Suite struct Conformance {
    static let cases = (try? ConformanceCase.load()) ?? []

    @Test func conformanceFileHas240Cases() {
        #expect(Self.cases.count == 240, "read \(ConformanceCase.fileURL.path)")
    }

    @Test(arguments: cases)
    func decodesLikeTheReference(_ c: ConformanceCase) {
        let (points, errors) = LineParser(precision: c.precision).parseAll(c.input, defaultTime: c.defaultTime)
        guard c.ok else {
            #expect(!errors.isEmpty, "expected a rejected line, got \(points)")
            return
        }
        #expect(errors.isEmpty, "unexpected errors: \(errors)")
        #expect(points.count == c.points.count)
        for (got, want) in zip(points, c.points) {
            #expect(got.measurement == want.measurement)
            let tags = got.tags.map { [$0.key, $0.value] }.sorted { Array($0[0].utf8).lexicographicallyPrecedes(Array($1[0].utf8)) }
            #expect(tags == want.tags)
            #expect(got.time == want.time)
            #expect(got.fields.count == want.fields.count)
            for (g, w) in zip(got.fields, want.fields) {
                #expect(g.key == w.key)
                #expect(g.value.typeName == w.type)
                if case .float(let x) = g.value, let bits = w.floatBits {
                    #expect(x.bitPattern == bits, "float \(x) for \(w.value)")
                } else {
                    #expect(g.value.text == w.value)
                }
            }
        }
    }
}
