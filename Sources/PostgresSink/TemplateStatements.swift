import SQLTemplates

extension Connection {
    /// Runs rendered template statements in order. A statement the server refuses keeps
    /// PostgreSQL's SQLSTATE, which decides what becomes of the rows (``ErrorClass``), and is
    /// named in the error (`create_templates[2]: ...`), with its text in the detail.
    func execute(rendered statements: [String], of templates: [SQLTemplate]) throws(StatementFailure) {
        for (template, sql) in zip(templates, statements) {
            do throws(StatementFailure) {
                try execute(sql)
            } catch .server(let error) {
                let detail = ([error.detail, "statement: \(sql)"] as [String?]).compactMap { $0 }.joined(separator: "; ")
                throw .server(ServerError(sqlstate: error.sqlstate, message: "\(template.statement): \(error.message)", detail: detail))
            }
        }
    }
}
