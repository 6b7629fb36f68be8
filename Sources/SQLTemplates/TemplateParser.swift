/// What a template is made of, once read: text, and actions between `{{` and `}}`.
enum TemplatePart: Sendable, Equatable {
    case text(String)
    case action(Pipeline)
}

/// `command | command | ...`: each command's value is the last argument of the next.
struct Pipeline: Sendable, Equatable {
    var commands: [Command]
}

/// A field chain, a function or a string, and its arguments.
struct Command: Sendable, Equatable {
    var head: Operand
    var arguments: [Operand]
}

enum Operand: Sendable, Equatable {
    /// `.table.Name`: each name with where it starts.
    case field([FieldName])
    case function(String, offset: Int)
    case string(String, offset: Int)
}

/// One name of a field chain, and its byte offset in the statement (for errors).
struct FieldName: Sendable, Equatable {
    var name: String
    var offset: Int
}

/// Reads the subset of Go's text/template that Telegraf's samples use: text, `{{ pipeline }}`
/// with `{{-`/`-}}` trimming, `{{/* comments */}}`, field chains, string arguments and pipes.
/// Anything else of Go's language (`if`, `range`, variables, parentheses, numbers) is refused by
/// name, at the place it starts.
struct TemplateParser {
    private let bytes: [UInt8]
    private let source: String
    private let statement: String
    private var i = 0

    init(_ source: String, statement: String) {
        self.source = source
        self.statement = statement
        bytes = Array(source.utf8)
    }

    mutating func parse() throws(TemplateError) -> [TemplatePart] {
        var parts: [TemplatePart] = []
        var text: [UInt8] = []
        var trimNext = false
        while i < bytes.count {
            guard starts(with: "{{") else {
                text.append(bytes[i])
                i += 1
                continue
            }
            let open = i
            i += 2
            if starts(with: "- ") || starts(with: "-\t") || starts(with: "-\n") {
                while text.last.map(isSpace) == true { text.removeLast() }
                i += 1
            }
            if trimNext { text = Array(text.drop(while: isSpace)) }
            if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
            text = []
            let (pipeline, trims) = try action(openedAt: open)
            if let pipeline { parts.append(.action(pipeline)) }
            trimNext = trims
        }
        if trimNext { text = Array(text.drop(while: isSpace)) }
        if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
        return parts
    }

    /// After `{{`: a comment (nil) or a pipeline, up to `}}`; whether it ended with ` -}}`.
    private mutating func action(openedAt open: Int) throws(TemplateError) -> (Pipeline?, trims: Bool) {
        skipSpace()
        if starts(with: "/*") {
            guard let end = find("*/", from: i + 2) else { throw failure("a comment /* without */", at: i) }
            i = end + 2
            return (nil, try close(openedAt: open))
        }
        var commands: [Command] = []
        var operands: [Operand] = []
        while true {
            let spaced = skipSpace()
            if starts(with: "}}") || (spaced && starts(with: "-}}")) {
                let at = i
                let trims = try close(openedAt: open)
                guard !operands.isEmpty else { throw failure("an empty command: write a variable such as .table", at: at) }
                commands.append(Command(head: operands[0], arguments: Array(operands.dropFirst())))
                return (Pipeline(commands: commands), trims)
            }
            guard i < bytes.count else { throw failure("{{ without }}", at: open) }
            if bytes[i] == UInt8(ascii: "|") {
                guard !operands.isEmpty else { throw failure("| with nothing before it", at: i) }
                commands.append(Command(head: operands[0], arguments: Array(operands.dropFirst())))
                operands = []
                i += 1
                continue
            }
            operands.append(try operand())
        }
    }

    /// Reads `}}` or ` -}}`; true for the latter.
    private mutating func close(openedAt open: Int) throws(TemplateError) -> Bool {
        skipSpace()
        if starts(with: "-}}") { i += 3; return true }
        guard starts(with: "}}") else { throw failure(i < bytes.count ? "expected }}" : "{{ without }}", at: i < bytes.count ? i : open) }
        i += 2
        return false
    }

    private mutating func operand() throws(TemplateError) -> Operand {
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "."): return try fieldChain()
        case UInt8(ascii: "\""): return .string(try quotedString(), offset: start)
        case UInt8(ascii: "`"):
            guard let end = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "`")) else { throw failure("a `string without its closing `", at: i) }
            i = end + 1
            return .string(String(decoding: bytes[(start + 1)..<end], as: UTF8.self), offset: start)
        case UInt8(ascii: "("): throw failure("parentheses are not supported: linemaster's templates have no nested pipelines", at: i)
        case UInt8(ascii: "$"): throw failure("template variables ($name) are not supported", at: i)
        case let byte where isNameByte(byte) && !isDigit(byte):
            let word = name()
            if Self.keywords.contains(word) {
                throw failure("\"\(word)\" is not supported: linemaster's templates have no actions beyond {{ pipeline }}", at: start)
            }
            return .function(word, offset: start)
        default:
            throw failure("unexpected \(describe(bytes[i])): expected a variable such as .table, a function or a \"string\"", at: i)
        }
    }

    private static let keywords: Set = ["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil", "true", "false"]

    private mutating func fieldChain() throws(TemplateError) -> Operand {
        var chain: [FieldName] = []
        while i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            let offset = i
            i += 1
            let segment = name()
            guard !segment.isEmpty else { throw failure("a . without a name after it: write a variable such as .table", at: offset) }
            chain.append(FieldName(name: segment, offset: offset))
        }
        return .field(chain)
    }

    /// `"..."` with Go's common escapes: `\"`, `\\`, `\n`, `\t`, `\r`.
    private mutating func quotedString() throws(TemplateError) -> String {
        let start = i
        var text: [UInt8] = []
        i += 1
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\n") { break }
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                i += 1
                switch bytes[i] {
                case UInt8(ascii: "n"): text.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): text.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): text.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): text.append(bytes[i])
                default: throw failure("unknown escape \\\(describe(bytes[i])) in a string", at: i - 1)
                }
            } else {
                text.append(bytes[i])
            }
            i += 1
        }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw failure("a \"string without its closing \"", at: start) }
        i += 1
        return String(decoding: text, as: UTF8.self)
    }

    private mutating func name() -> String {
        let start = i
        while i < bytes.count, isNameByte(bytes[i]) { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    /// Skips blanks and line ends; whether there were any.
    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = i
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        return i > start
    }

    private func starts(with text: String) -> Bool {
        let needle = Array(text.utf8)
        return i + needle.count <= bytes.count && bytes[i..<(i + needle.count)].elementsEqual(needle)
    }

    private func find(_ text: String, from start: Int) -> Int? {
        let needle = Array(text.utf8)
        var k = start
        while k + needle.count <= bytes.count {
            if bytes[k..<(k + needle.count)].elementsEqual(needle) { return k }
            k += 1
        }
        return nil
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7f ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x\(String(byte, radix: 16))"
    }

    private func failure(_ reason: String, at offset: Int) -> TemplateError {
        TemplateError(reason, at: offset, in: source, statement: statement)
    }
}

private func isSpace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

private func isNameByte(_ byte: UInt8) -> Bool {
    isDigit(byte) || byte == UInt8(ascii: "_") || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
}
