#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

extension LinemasterConfig {
    /// Reads and validates the file; throws ConfigError listing every problem.
    ///
    /// A file that cannot be read gives one problem such as
    /// `cannot read etc/linemaster.toml: No such file or directory`.
    public static func load(path: String) throws(ConfigError) -> LinemasterConfig {
        let bytes: [UInt8]
        do throws(ConfigProblem) {
            bytes = try readFile(path)
        } catch {
            throw ConfigError(problems: [error])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(problems: [ConfigProblem(file: path, line: 0, reason: "the file is not UTF-8 text")])
        }
        return try parse(text: text, path: path)
    }

    /// The same for text already in memory (path used in messages).
    ///
    /// Problems are listed in line order. After a TOML syntax error only the problems before
    /// it are known, since what follows cannot be read reliably.
    public static func parse(text: String, path: String) throws(ConfigError) -> LinemasterConfig {
        let document = TOMLParser.parse(text)
        var problems = document.problems(in: path)
        // After a syntax error the rest of the file is unknown; checking the part before it would
        // report missing keys that are merely unread.
        guard document.isComplete else { throw ConfigError(problems: inLineOrder(problems)) }
        var decoder = ConfigDecoder(path: path)
        let config = decoder.decode(document.table)
        problems += decoder.problems
        guard problems.isEmpty else { throw ConfigError(problems: inLineOrder(problems)) }
        return config
    }
}

/// Sorted by line; problems of the same line keep the order in which they were found.
private func inLineOrder(_ problems: [ConfigProblem]) -> [ConfigProblem] {
    problems.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
}

/// The whole file, or the problem that prevents reading it, in the words of `strerror`.
private func readFile(_ path: String) throws(ConfigProblem) -> [UInt8] {
    let bytes: [UInt8]
    do { bytes = try readFile(atPath: path, limit: maximumFileSize) } catch {
        throw ConfigProblem(file: path, line: 0, reason: "cannot read \(path): \(String(cString: strerror(error.errno)))")
    }
    guard bytes.count <= maximumFileSize else {
        throw ConfigProblem(file: path, line: 0, reason: "the file is larger than 1MiB: is it really a configuration?")
    }
    return bytes
}

/// A guard against `-c /dev/zero` and other mistakes that would otherwise read forever.
private let maximumFileSize = 1 << 20
