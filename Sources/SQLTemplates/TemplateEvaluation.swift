/// What an operand or a command evaluates to. Only ``sql`` and ``string`` (text the template's
/// author wrote) reach the statement as they are; a table, or a list of columns, as their quoted
/// identifier or definitions; a ``name`` never: it is a measurement or key as sent, which could
/// be any text, and must go through `quoteIdentifier` or `quoteLiteral`.
enum TemplateValue {
    case table(TemplateTable)
    case columns([TemplateColumn])
    /// Quoted identifiers or literals, definitions: SQL, safe to write.
    case sql(String)
    /// Items of SQL, for `join`.
    case list([String])
    /// A name as sent (`.table.Name`, `.table.Schema`): not quoted yet.
    case name(String)
    /// A "string" written in the template.
    case string(String)

    var kind: String {
        switch self {
        case .table: return "a table"
        case .columns: return "a list of columns"
        case .sql: return "SQL text"
        case .list: return "a list"
        case .name: return "a name"
        case .string: return "a string"
        }
    }
}

/// The variables of one rendering: `.table`, `.columns`, `.allColumns`.
struct TemplateScope {
    var table: TemplateTable
    var columns: [TemplateColumn]
    var allColumns: [TemplateColumn]
}

/// Evaluates a parsed template. The type of every value depends on the template alone, never on
/// the table or columns (there are no conditions), so a template that renders once renders for
/// every table: ``SQLTemplate`` renders each once when it is read, and any error shows then.
struct TemplateEvaluator {
    let source: String
    let statement: String
    let scope: TemplateScope

    func render(_ parts: [TemplatePart]) throws(TemplateError) -> String {
        var output = ""
        for part in parts {
            switch part {
            case .text(let text): output += text
            case .action(let pipeline): output += try text(of: try evaluate(pipeline), at: pipeline.offset)
            }
        }
        return output
    }

    private func evaluate(_ pipeline: Pipeline) throws(TemplateError) -> TemplateValue {
        var piped: TemplateValue?
        for command in pipeline.commands {
            var arguments: [(value: TemplateValue, offset: Int)] = []
            for operand in command.arguments { arguments.append((try evaluate(operand, arguments: []), operand.offset)) }
            if let piped { arguments.append((piped, command.head.offset)) }
            piped = try evaluate(command.head, arguments: arguments)
        }
        return piped!
    }

    private func evaluate(_ operand: Operand, arguments: [(value: TemplateValue, offset: Int)]) throws(TemplateError) -> TemplateValue {
        switch operand {
        case .string(let text, let offset):
            guard arguments.isEmpty else { throw failure("a string takes no arguments", at: offset) }
            return .string(text)
        case .function(let name, let offset):
            return try call(name, arguments, at: offset)
        case .field(let chain):
            var value = try variable(chain[0])
            for (k, field) in chain.enumerated().dropFirst() {
                value = try member(field, of: value, arguments: k == chain.count - 1 ? arguments : [])
            }
            if chain.count == 1, let first = arguments.first { throw failure("\(chain[0].name) takes no arguments", at: first.offset) }
            return value
        }
    }

    private func variable(_ field: FieldName) throws(TemplateError) -> TemplateValue {
        switch field.name {
        case "table": return .table(scope.table)
        case "columns": return .columns(scope.columns)
        case "allColumns": return .columns(scope.allColumns)
        default:
            throw failure("unknown variable .\(field.name): the variables are .table, .columns and .allColumns", at: field.offset)
        }
    }

    private func failure(_ reason: String, at offset: Int) -> TemplateError {
        TemplateError(reason, at: offset, in: source, statement: statement)
    }
}

// MARK: - Members, functions, output

extension TemplateEvaluator {
    private static let tableMembers = "Schema, Name, Columns, Identifier, WithSchema, WithName, WithSuffix"
    private static let columnsMembers = "Identifiers, Definitions, Tags, Fields, Keys"

    /// Telegraf's `Table` and `Columns` methods that make sense without tag tables.
    private func member(_ field: FieldName, of value: TemplateValue, arguments: [(value: TemplateValue, offset: Int)]) throws(TemplateError) -> TemplateValue {
        switch (value, field.name) {
        case (.table(let table), "WithSchema"), (.table(let table), "WithName"), (.table(let table), "WithSuffix"):
            let words = try strings(arguments, for: field)
            guard field.name == "WithSuffix" ? !words.isEmpty : words.count == 1 else {
                throw failure(".\(field.name) takes \(field.name == "WithSuffix" ? "one or more strings" : "one string")", at: field.offset)
            }
            var copy = table
            switch field.name {
            case "WithSchema": copy.schema = words[0]
            case "WithName": copy.name = words[0]
            default: copy.name += words.joined()
            }
            return .table(copy)
        case _ where !arguments.isEmpty:
            throw failure(".\(field.name) takes no arguments", at: arguments[0].offset)
        case (.table(let table), "Schema"): return .name(table.schema)
        case (.table(let table), "Name"): return .name(table.name)
        case (.table(let table), "Columns"): return .columns(table.columns)
        case (.table(let table), "Identifier"), (.table(let table), "String"): return .sql(table.identifier)
        case (.columns(let columns), "Identifiers"): return .list(columns.map { SQLQuote.identifier($0.name) })
        case (.columns(let columns), "Definitions"): return .list(columns.map(\.definition))
        case (.columns(let columns), "Tags"): return .columns(columns.filter { $0.role == .tag })
        case (.columns(let columns), "Fields"): return .columns(columns.filter { $0.role == .field })
        case (.columns(let columns), "Keys"): return .columns(columns.filter { $0.role != .field })
        case (.columns(let columns), "String"): return .sql(columns.map(\.definition).joined(separator: ", "))
        case (.table, _):
            throw failure("a table has no .\(field.name): it has \(Self.tableMembers)", at: field.offset)
        case (.columns, _):
            throw failure("a list of columns has no .\(field.name): it has \(Self.columnsMembers)", at: field.offset)
        default:
            throw failure("\(value.kind) has no .\(field.name)", at: field.offset)
        }
    }

    private func strings(_ arguments: [(value: TemplateValue, offset: Int)], for field: FieldName) throws(TemplateError) -> [String] {
        var words: [String] = []
        for argument in arguments {
            switch argument.value {
            case .string(let text), .name(let text): words.append(text)
            default: throw failure(".\(field.name) takes strings, not \(argument.value.kind)", at: argument.offset)
            }
        }
        return words
    }

    private func call(_ name: String, _ arguments: [(value: TemplateValue, offset: Int)], at offset: Int) throws(TemplateError) -> TemplateValue {
        switch name {
        case "quoteIdentifier", "quoteLiteral":
            guard arguments.count == 1 else { throw failure("\(name) takes one argument, not \(arguments.count)", at: offset) }
            let text = try plainText(of: arguments[0].value, at: arguments[0].offset, for: name)
            return .sql(name == "quoteIdentifier" ? SQLQuote.identifier(text) : SQLQuote.literal(text))
        case "join":
            guard arguments.count == 2, case .string(let separator) = arguments[0].value else {
                throw failure("join takes a \"separator\" and a list: .columns|join \", \"", at: offset)
            }
            switch arguments[1].value {
            case .columns(let columns): return .sql(columns.map(\.definition).joined(separator: separator))
            case .list(let items): return .sql(items.joined(separator: separator))
            default: throw failure("join takes a list (.columns, .columns.Identifiers, ...), not \(arguments[1].value.kind)", at: arguments[1].offset)
            }
        default:
            throw failure("unknown function \(name): the functions are quoteIdentifier, quoteLiteral and join "
                          + "(Telegraf's Sprig functions are not available)", at: offset)
        }
    }

    /// What `quoteIdentifier` and `quoteLiteral` quote: a value's text, as Go's templates make it.
    private func plainText(of value: TemplateValue, at offset: Int, for function: String) throws(TemplateError) -> String {
        switch value {
        case .table(let table): return table.identifier
        case .columns(let columns): return columns.map(\.definition).joined(separator: ", ")
        case .sql(let text), .name(let text), .string(let text): return text
        case .list: throw failure("\(function) takes one value, not a list: join it first", at: offset)
        }
    }

    /// What an action writes into the statement.
    private func text(of value: TemplateValue, at offset: Int) throws(TemplateError) -> String {
        switch value {
        case .table(let table): return table.identifier
        case .columns(let columns): return columns.map(\.definition).joined(separator: ", ")
        case .sql(let text), .string(let text): return text
        case .list: throw failure("a list cannot be written as it is: join it, e.g. .columns.Identifiers|join \", \"", at: offset)
        case .name: throw failure("a name is never written unquoted: add |quoteIdentifier or |quoteLiteral", at: offset)
        }
    }
}

extension Operand {
    /// Where the operand starts, for errors.
    var offset: Int {
        switch self {
        case .field(let chain): return chain[0].offset
        case .function(_, let offset), .string(_, let offset): return offset
        }
    }
}

extension Pipeline {
    var offset: Int { commands[0].head.offset }
}
