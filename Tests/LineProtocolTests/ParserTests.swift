import LineProtocol
import Testing

@Suite("Field values") struct FieldValueTests {
    @Test func floatsIntegersUnsignedStringsAndBooleansAreTyped() {
        let p = point(#"cpu usage=0.5,n=3i,u=7u,s="x",b=true 1"#)
        #expect(p?.fields == [
            .init("usage", .float(0.5)), .init("n", .int(3)), .init("u", .uint(7)),
            .init("s", .string("x")), .init("b", .bool(true)),
        ])
    }

    @Test func aNumberWithoutSuffixIsAFloat() {
        #expect(value("m v=1") == .float(1))
        #expect(value("m v=-1.5e3") == .float(-1500))
        #expect(value("m v=.5") == .float(0.5))
        #expect(value("m v=1.") == .float(1))
    }

    @Test func floatsRoundCorrectly() {
        #expect(value("m v=0.1") == .float(0.1))
        #expect(value("m v=1.7976931348623157e308") == .float(.greatestFiniteMagnitude))
        #expect(value("m v=4.9e-324") == .float(.leastNonzeroMagnitude))
        #expect(value("m v=123456789012345678901234567890") == .float(123456789012345678901234567890.0))
        #expect(value("m v=9007199254740993") == .float(9007199254740992))
        #expect(value("m v=2.2250738585072011e-308") == .float(Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)))
        #expect(value("m v=1e-400") == .float(0))
        #expect(value("m v=0.30000000000000004441") == .float(0.30000000000000004))
    }

    @Test func floatsFollowGoSyntaxIncludingHexAndUnderscores() {
        #expect(value("m v=0x1p-2") == .float(0.25))
        #expect(value("m v=1_000.5") == .float(1000.5))
        #expect(isRejected("m v=0x1"))
        #expect(isRejected("m v=1__0"))
        #expect(isRejected("m v=1_"))
        #expect(isRejected("m v=1e"))
    }

    @Test func nanAndInfinityAreRejected() {
        #expect(isRejected("m v=NaN"))
        #expect(isRejected("m v=-inf"))
        #expect(isRejected("m v=Inf"))
        #expect(isRejected("m v=1e309"))
        #expect(isRejected("m v=-1e309"))
    }

    @Test func integersMustFitIn64Bits() {
        #expect(value("m v=9223372036854775807i") == .int(.max))
        #expect(value("m v=-9223372036854775808i") == .int(.min))
        #expect(isRejected("m v=9223372036854775808i"))
        #expect(isRejected("m v=-9223372036854775809i"))
        #expect(value("m v=18446744073709551615u") == .uint(.max))
        #expect(isRejected("m v=18446744073709551616u"))
        #expect(isRejected("m v=-1u"))
        #expect(isRejected("m v=1.5i"))
    }

    @Test func booleansHaveTenSpellings() {
        for t in ["t", "T", "true", "True", "TRUE"] { #expect(value("m v=\(t)") == .bool(true)) }
        for f in ["f", "F", "false", "False", "FALSE"] { #expect(value("m v=\(f)") == .bool(false)) }
        #expect(isRejected("m v=tRUE"))
        #expect(isRejected("m v=yes"))
    }

    @Test func stringsUnescapeOnlyQuoteAndBackslash() {
        #expect(value(#"m v="a\"b""#) == .string(#"a"b"#))
        #expect(value(#"m v="a\\b""#) == .string(#"a\b"#))
        #expect(value(#"m v="a\nb""#) == .string(#"a\nb"#))
        #expect(value(#"m v="a,b c=d""#) == .string("a,b c=d"))
    }

    @Test func stringsMaySpanLines() {
        let result = parse("m v=\"a\nb\" 1\nm v=2 2")
        #expect(result.points.map(\.fields.first?.value) == [.string("a\nb"), .float(2)])
        #expect(result.errors.isEmpty)
    }

    @Test func emptyStringIsAValue() {
        #expect(value(#"m v="""#) == .string(""))
    }
}

@Suite("Names and escapes") struct NameTests {
    @Test func measurementEscapesCommaAndSpace() {
        #expect(point(#"c\,p\ u v=1"#)?.measurement == "c,p u")
        #expect(point(#"c=pu v=1"#)?.measurement == "c=pu")
        #expect(point(#"c\=pu v=1"#)?.measurement == #"c\=pu"#)
    }

    @Test func tagsEscapeCommaEqualsAndSpace() {
        let p = point(#"m,k\ 1\=x=v\,1\ 2 f=1"#)
        #expect(p?.tags == [.init("k 1=x", "v,1 2")])
    }

    @Test func aBackslashBeforeAnOrdinaryCharacterIsKept() {
        #expect(point(#"m,k=a\b f=1"#)?.tags == [.init("k", #"a\b"#)])
        #expect(point(#"m,k=two\\ words f=1"#)?.tags == [.init("k", #"two\ words"#)])
    }

    @Test func tagsKeepInputOrder() {
        #expect(point("m,z=1,a=2 f=1")?.tags == [.init("z", "1"), .init("a", "2")])
    }

    @Test func duplicateTagKeysAreRejected() {
        #expect(isRejected("m,a=1,b=2,a=3 f=1"))
        #expect(isRejected(#"m,a\ b=1,a\ b=2 f=1"#))
        let many = (0..<100).map { "k\($0)=v" }.joined(separator: ",")
        #expect(point("m,\(many) f=1")?.tags.count == 100)
        #expect(isRejected("m,\(many),k42=w f=1"))
    }

    @Test func duplicateFieldKeysAreKept() {
        #expect(point("m f=1,f=2")?.fields.count == 2)
    }

    @Test func nonPrintableBytesInNamesAreRejected() {
        #expect(isRejected("m\u{01}x f=1"))
        #expect(isRejected("m,k\u{7F}=v f=1"))
        #expect(isRejected("m f\tx=1"))
        #expect(point("m,k=a\u{01}b f=1")?.tags == [.init("k", "a\u{01}b")])
    }

    @Test func invalidUTF8IsRejectedAndValidUTF8Accepted() {
        #expect(point("mè,ké=vé fé=\"sé\"")?.measurement == "mè")
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            for template in ["#=1", "m,#=v f=1", "m,k=# f=1", "m #=1", "m f=\"#\""] {
                var bytes: [UInt8] = []
                for b in template.utf8 { if b == UInt8(ascii: "#") { bytes += bad } else { bytes.append(b) } }
                let result = parseBytes(bytes)
                #expect(result.points.isEmpty && result.errors.count == 1, "\(template) with \(bad)")
            }
        }
    }

    @Test func emptyNamesAndValuesAreRejected() {
        for line in [",k=v f=1", "m,=v f=1", "m,k= f=1", "m =1", "m f=", "m f= 1", "m", "m,k=v", "m ", "m f=1,"] {
            #expect(isRejected(line), "\(line)")
        }
    }
}

@Suite("Lines, comments and timestamps") struct LineTests {
    @Test func commentsBlankLinesAndCRLFAreSkipped() {
        let result = parse("# header\n\n   \nm f=1 1\r\n\r\n  # indented comment\nm f=2 2\r\n")
        #expect(result.points.map(\.time) == [1, 2])
        #expect(result.errors.isEmpty)
    }

    @Test func leadingSpacesAreAllowedButNotTabs() {
        #expect(point("   m f=1")?.measurement == "m")
        #expect(isRejected("\tm f=1"))
    }

    @Test func spacesBetweenSectionsAndAfterTheTimestampAreAllowed() {
        #expect(point("m,k=v   f=1    5   ")?.time == 5)
    }

    @Test func aCarriageReturnWithoutLineFeedIsRejectedExceptAtTheEnd() {
        let result = parse("m f=1 1\rm f=2\nm f=3 3\r")
        #expect(result.points.map(\.time) == [3])
        #expect(result.errors.count == 1)
    }

    @Test func timestampsAreScaledByPrecision() {
        #expect(point("m f=1 3", precision: .seconds)?.time == 3_000_000_000)
        #expect(point("m f=1 3", precision: .milliseconds)?.time == 3_000_000)
        #expect(point("m f=1 -3", precision: .microseconds)?.time == -3_000)
        #expect(point("m f=1 3", precision: .nanoseconds)?.time == 3)
    }

    @Test func timestampsThatOverflowAreRejected() {
        #expect(point("m f=1 9223372036854775807")?.time == .max)
        #expect(isRejected("m f=1 9223372036854775808"))
        #expect(parse("m f=1 9223372037", precision: .seconds).errors.count == 1)
        #expect(parse("m f=1 9223372036", precision: .seconds).points.first?.time == 9_223_372_036_000_000_000)
    }

    @Test func badTimestampsAreRejected() {
        for line in ["m f=1 1.5", "m f=1 +1", "m f=1 1x", "m f=1 1 2", "m f=1 -", "m f=1 0x10"] {
            #expect(isRejected(line), "\(line)")
        }
    }

    @Test func missingTimestampIsTheDefaultTimeTruncatedToThePrecision() {
        let t: Int64 = 1_700_000_000_123_456_789
        #expect(point("m f=1", defaultTime: t)?.time == t)
        #expect(point("m f=1", precision: .microseconds, defaultTime: t)?.time == 1_700_000_000_123_456_000)
        #expect(point("m f=1", precision: .milliseconds, defaultTime: t)?.time == 1_700_000_000_123_000_000)
        #expect(point("m f=1", precision: .seconds, defaultTime: t)?.time == 1_700_000_000_000_000_000)
        #expect(point("m f=1", precision: .seconds, defaultTime: -1)?.time == -1_000_000_000)
    }
}

@Suite("Rejected lines") struct RejectionTests {
    @Test func oneBadLineNeverCostsAnother() {
        let result = parse("m f=1 1\nm f=bad 2\nm,k f=1 3\nm f=4 4\nm f=\"open 5\nm f=6 6\n\u{01} f=1\nm f=8 8")
        #expect(result.points.map(\.time) == [1, 4, 6, 8])
        #expect(result.errors.map(\.line) == [2, 3, 5, 7])
    }

    @Test func errorsSayWhatIsWrongAndWhere() {
        let result = parse("m f=1\nm f=2\ncpu,host=a usage=12x 1")
        let error = result.errors.first
        #expect(error?.line == 3)
        #expect(error?.column == 18)
        #expect(error?.message.hasPrefix(#"invalid field value "12x" for field "usage": expected a number"#) == true)
        #expect(error?.description.hasPrefix("line 3, column 18: ") == true)
    }

    @Test func errorsAfterAMultiLineStringReportTheirOwnLine() {
        let error = parse("m s=\"a\nb\",x=oops 1").errors.first
        #expect(error?.line == 2)
        #expect(error?.column == 6)
    }

    @Test func pointsKnowTheirLine() {
        var lines: [Int] = []
        let input = Array("# c\nm f=1\n\nm s=\"a\nb\"\nm f=3".utf8)
        input.withUnsafeBytes { bytes in
            LineParser().parse(bytes, defaultTime: 0) { lines.append($0.line) } onError: { _ in }
        }
        #expect(lines == [2, 4, 6])
    }

    @Test func everyKindOfProblemHasAMessage() {
        let lines = ["\u{01}m f=1", "m,=v f=1", "m,k f=1", "m,k= f=1", "m\u{01} f=1", "m", "m =1", "m f 1",
                     "m f=", "m f=\"x", "m f=x", "m f=1i1i", "m f=99999999999999999999i", "m f=\"x\"y",
                     "m f=1 x", "m f=1 99999999999999999999", "m f=1 1 1", "m f=1\rx", "m,a=1,a=2 f=1", "m f=\"\u{FFFF}\u{D7FF}\"x"]
        for line in lines {
            let result = parse(line)
            #expect(result.errors.count == 1, "\(line)")
            #expect(result.errors.first.map { !$0.message.isEmpty && $0.column >= 1 } == true)
        }
    }
}

@Suite struct RejectedLineBytes {
    private func rejected(_ text: String) -> [(text: String, reason: String)] {
        let bytes = Array(text.utf8)
        return parseBytes(bytes).errors.map { error in
            (String(decoding: bytes[error.entry], as: UTF8.self), error.reasonInEntry)
        }
    }

    @Test func anErrorNamesItsWholeLineFromItsStartWithoutTheLineEnd() {
        let found = rejected("a v=1\n   b v=x 2\r\nc v=3\nd\n")
        #expect(found.map(\.text) == ["   b v=x 2", "d"])
        #expect(found.first?.reason.hasPrefix("line 1: column 8: ") == true)
    }

    @Test func aLineWithAQuotedLineFeedIsKeptWholeAndCountedFromItsFirstLine() {
        let found = rejected("a v=1\nb s=\"x\ny\",v=z 2\nc v=3")
        #expect(found.map(\.text) == ["b s=\"x\ny\",v=z 2"])
        #expect(found.first?.reason.hasPrefix("line 2: column 6: ") == true, "\(found)")
    }
}
