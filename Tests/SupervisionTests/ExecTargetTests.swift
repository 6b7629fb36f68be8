import Glibc
import Testing
@testable import Supervision

/// A fresh directory of executable files, removed afterwards.
private final class Scripts {
    let directory: String

    init() {
        var template = Array("/tmp/linemaster-exec-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
    }

    deinit {
        for name in ["worker", "wrapper", "python3"] { unlink(directory + "/" + name) }
        rmdir(directory)
    }

    /// Writes an executable file and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return path
    }
}

/// What the launcher execs so that the title is argv[0], whatever the executable is.
@Suite struct ExecTargets {
    private func target(_ executable: String, environment: [String] = ["PATH=/usr/bin:/bin"]) -> ExecTarget {
        ExecTarget(executable: executable, title: "linemaster: w", arguments: ["a", "b c"], environment: environment)
    }

    @Test func aProgramIsExecutedAsItIsWithTheTitleAsArgv0() {
        let scripts = Scripts()
        let program = scripts.write("worker", "\u{7f}ELF\u{2}\u{1}\u{1}\0")
        let exec = target(program)
        #expect(exec.path == program)
        #expect(exec.argv == ["linemaster: w", "a", "b c"])
    }

    @Test func aScriptRunsUnderItsInterpreterWithTheTitleThenItsArgumentThenTheScript() {
        let scripts = Scripts()
        let script = scripts.write("worker", "#!/bin/sh -eu\nexit 0\n")
        let exec = target(script)
        #expect(exec.path == "/bin/sh")
        #expect(exec.argv == ["linemaster: w", "-eu", script, "a", "b c"])
    }

    @Test func envWithACommandNameRunsThatCommandFromTheWorkersPath() {
        let scripts = Scripts()
        let python = scripts.write("python3", "\u{7f}ELF\0")
        let script = scripts.write("worker", "#!/usr/bin/env python3\n")
        let exec = target(script, environment: ["PATH=/nonexistent:\(scripts.directory):/usr/bin", "PATH=/usr/bin"])
        #expect(exec.path == python)
        #expect(exec.argv == ["linemaster: w", script, "a", "b c"])
    }

    @Test func envWithOptionsOrAnUnknownCommandIsLeftToEnv() {
        let scripts = Scripts()
        let script = scripts.write("worker", "#!/usr/bin/env -S python3 -u\n")
        #expect(target(script).argv == ["linemaster: w", "-S python3 -u", script, "a", "b c"])
        scripts.write("worker", "#!/usr/bin/env no-such-command-anywhere\n")
        #expect(target(script).path == "/usr/bin/env")
    }

    @Test func anInterpreterThatIsAScriptIsFollowedAsTheKernelWould() {
        let scripts = Scripts()
        let wrapper = scripts.write("wrapper", "#!/bin/bash\nexec \"$@\"\n")
        let script = scripts.write("worker", "#!\(wrapper) --flag\n")
        let exec = target(script)
        #expect(exec.path == "/bin/bash")
        #expect(exec.argv == ["linemaster: w", wrapper, "--flag", script, "a", "b c"])
    }

    @Test func aPythonInterpreterIsToldItsPathSinceArgv0NoLongerSaysIt() {
        let scripts = Scripts()
        let python = scripts.write("python3", "\u{7f}ELF\0")
        let script = scripts.write("worker", "#!\(python)\n")
        #expect(target(script).environment == ["PATH=/usr/bin:/bin", "PYTHONEXECUTABLE=\(python)"])
        #expect(target(script, environment: ["PYTHONEXECUTABLE=/mine"]).environment == ["PYTHONEXECUTABLE=/mine"])
        #expect(target(scripts.write("worker", "#!/bin/sh\n")).environment == ["PATH=/usr/bin:/bin"])
    }
}
