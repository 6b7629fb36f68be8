/// The `#!` line of a script as Linux reads it (fs/binfmt_script.c): the interpreter's path and at
/// most one argument, which is the rest of the line with its inner spaces kept
/// (`#!/usr/bin/env -S python3 -u` gives `/usr/bin/env` and `-S python3 -u`).
struct ScriptInterpreter {
    /// How much of a file the kernel reads to find the line (BINPRM_BUF_SIZE).
    static let headSize = 256

    let path: String
    let argument: String?

    /// Reads the `#!` line from the first bytes of a file as the kernel does; nil when the kernel
    /// would not run the file as a script: no `#!`, no interpreter, or an interpreter path that the
    /// end of the 256 bytes cuts off.
    init?(head: [UInt8]) {
        // The kernel's buffer: the file's first 256 bytes, NUL-padded.
        var buffer = Array(head.prefix(Self.headSize))
        buffer += repeatElement(0, count: Self.headSize - buffer.count)
        guard buffer[0] == UInt8(ascii: "#"), buffer[1] == UInt8(ascii: "!"),
              var end = Self.lineEnd(buffer) else { return nil }
        while isBlank(buffer[end - 1]) { end -= 1 }
        guard let start = (2..<end).first(where: { !isBlank(buffer[$0]) }) else { return nil }
        let separator = (start..<end).first { isTerminator(buffer[$0]) }
        guard let path = cString(buffer[start..<(separator ?? end)]), !path.isEmpty else { return nil }
        self.path = path
        // A NUL right after the path ends the line; after a blank the argument is the rest.
        if let separator, buffer[separator] != 0, let argument = (separator..<end).first(where: { !isBlank(buffer[$0]) }) {
            guard let text = cString(buffer[argument..<end]) else { return nil }
            self.argument = text
        } else {
            argument = nil
        }
    }

    /// Where the line ends: at its newline (searched up to the first NUL, like `strnchr`), or
    /// without one before the buffer's last byte, provided the interpreter path ends before it:
    /// an argument may be cut short (the interpreter re-reads the script), a path may not.
    private static func lineEnd(_ buffer: [UInt8]) -> Int? {
        if let newline = buffer.prefix(while: { $0 != 0 }).firstIndex(of: UInt8(ascii: "\n")) { return newline }
        let limit = headSize - 1
        guard let start = (2..<limit).first(where: { !isBlank(buffer[$0]) }),
              (start..<limit).contains(where: { isTerminator(buffer[$0]) }) else { return nil }
        return limit
    }

    /// For `#!/usr/bin/env NAME`: NAME, when all env would do is find it in `PATH` (or take it as a
    /// path when it has a slash) and exec it. Nil for options (`-S`, `-i`), `VAR=value`
    /// assignments and any other interpreter: env then has to run.
    var commandRunByEnv: String? {
        guard path.split(separator: "/").last == "env", let argument, !argument.isEmpty,
              !argument.hasPrefix("-"), !argument.contains("="),
              !argument.utf8.contains(where: isBlank) else { return nil }
        return argument
    }
}

private func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

/// What ends the interpreter path: a blank, or the NUL that ends the C string.
private func isTerminator(_ byte: UInt8) -> Bool { isBlank(byte) || byte == 0 }

/// The bytes up to the first NUL as text; nil when they are not UTF-8 (the kernel then runs the
/// script itself, as it always did).
private func cString(_ bytes: ArraySlice<UInt8>) -> String? {
    String(validating: bytes.prefix { $0 != 0 }, as: UTF8.self)
}
