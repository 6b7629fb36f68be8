/// The words for each ``Problem``, quoting the offending input.
extension Problem {
    func message(in input: UnsafeBufferPointer<UInt8>) -> String {
        func q(_ r: Range<Int>) -> String { quote(input, r) }
        switch self {
        case .invalidMeasurementStart(let b):
            return "invalid character \(describe(b)) at start of measurement name"
        case .expectedTagKey(let found):
            return "expected tag key after comma, found \(describe(found))"
        case .expectedEqualsAfterTagKey(let key, let found):
            return "expected '=' after tag key \(q(key)), found \(describe(found))"
        case .expectedTagValue(let key):
            return "expected tag value after tag key \(q(key))=, found none"
        case .missingFieldSet(let found):
            if let b = found, b != 0x0A && b != 0x0D {
                return "unexpected character \(describe(b)) in measurement or tag set: expected ',' before a tag or a space before the fields"
            }
            return "missing field set: expected a space and at least one field after measurement and tags, found \(describe(found))"
        case .expectedFieldKey(let found):
            return "expected field key, found \(describe(found))"
        case .expectedEqualsAfterFieldKey(let key, let found):
            return "expected '=' after field key \(q(key)), found \(describe(found))"
        case .expectedFieldValue(let key):
            return "expected field value after field key \(q(key))=, found none"
        case .unterminatedString(let key):
            return "string value of field \(q(key)) has no closing quote"
        case .invalidFieldValue(let key, let value, let kind):
            return "invalid field value \(q(value)) for field \(q(key)): \(expectation(kind))"
        case .fieldValueOutOfRange(let key, let value, let kind):
            return "field value \(q(value)) for field \(q(key)) is out of range: \(range(kind))"
        case .unexpectedAfterFieldValue(let b):
            return "unexpected character \(describe(b)) after field value: expected ',', space or end of line"
        case .invalidTimestamp(let r):
            return "invalid timestamp \(q(r)): expected an integer, optionally negative"
        case .timestampOutOfRange(let r):
            return "timestamp \(q(r)) is out of range: it must fit in 64-bit signed nanoseconds"
        case .unexpectedAfterTimestamp(let r):
            return "unexpected text \(q(r)) after timestamp: expected end of line"
        case .carriageReturnWithoutLineFeed:
            return "carriage return not followed by line feed"
        case .invalidUTF8(let element, let r):
            return "invalid UTF-8 in \(element.rawValue) \(q(r))"
        case .duplicateTagKey(let key):
            return "duplicate tag key \(q(key))"
        case .tooLong(let element, let r):
            return "\(element.rawValue) \(q(r)) is longer than \(PointRecord.maxLength) bytes"
        case .tooMany(let element, let count):
            return element == .tagKey ? "\(count) tags in one line: at most \(PointRecord.maxTags)" : "\(count) fields in one line: at most \(PointRecord.maxLength)"
        }
    }

    private func expectation(_ kind: ValueKind) -> String {
        switch kind {
        case .unrecognized: return "expected a number, an integer with suffix i or u, a boolean or a quoted string"
        case .integer: return "expected a decimal integer before the suffix i"
        case .unsigned: return "expected an unsigned decimal integer before the suffix u"
        case .float: return "expected a number such as 1, -2.5 or 1e-3 (NaN and Inf are not allowed), an integer with suffix i or u, a boolean or a quoted string"
        case .boolean: return "expected t, T, true, True, TRUE, f, F, false, False or FALSE"
        }
    }

    private func range(_ kind: ValueKind) -> String {
        switch kind {
        case .integer: return "signed integers must fit in 64 bits"
        case .unsigned: return "unsigned integers must fit in 64 bits"
        default: return "floats must be finite 64-bit numbers"
        }
    }
}

/// A byte as a user reads it: `'x'`, `'\t'`, `'\x01'`, or `end of input`.
func describe(_ byte: UInt8?) -> String {
    guard let b = byte else { return "end of input" }
    switch b {
    case 0x0A: return "end of line"
    case 0x09: return "'\\t'"
    case 0x0D: return "'\\r'"
    case 0x20: return "space"
    case 0x21..<0x7F: return "'\(Character(Unicode.Scalar(b)))'"
    default: return "byte 0x" + (b < 0x10 ? "0" : "") + String(b, radix: 16, uppercase: true)
    }
}

/// Input bytes in double quotes, with control and invalid bytes shown as escapes, cut at 60 bytes.
func quote(_ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
    let shown = range.lowerBound..<min(range.upperBound, range.lowerBound + 60)
    var text = ""
    for scalar in String(decoding: input[shown], as: UTF8.self).unicodeScalars {
        switch scalar {
        case "\"": text += "\\\""
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        case "\u{FFFD}": text += "\\uFFFD"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                text += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
    }
    return "\"" + text + (shown.count < range.count ? "...\"" : "\"")
}
