import Testing
@testable import Supervision

private func interpreter(_ head: String) -> ScriptInterpreter? {
    ScriptInterpreter(head: Array(head.utf8))
}

/// The `#!` line read as Linux's binfmt_script reads it.
@Suite struct ScriptInterpreterLine {
    @Test func theInterpreterIsThePathAfterTheHashBang() {
        let line = interpreter("#!/bin/bash\necho hi\n")
        #expect(line?.path == "/bin/bash")
        #expect(line?.argument == nil)
    }

    @Test func blanksAroundThePathAndTheArgumentAreSkipped() {
        let line = interpreter("#! \t/bin/sh -eu \t\nset -x\n")
        #expect(line?.path == "/bin/sh")
        #expect(line?.argument == "-eu")
    }

    @Test func theRestOfTheLineIsOneArgumentWithItsInnerBlanks() {
        let line = interpreter("#!/usr/bin/env -S python3 -u\n")
        #expect(line?.path == "/usr/bin/env")
        #expect(line?.argument == "-S python3 -u")
    }

    @Test func aFileWithoutNewlineIsReadToItsEnd() {
        let line = interpreter("#!/bin/sh")
        #expect(line?.path == "/bin/sh")
        #expect(line?.argument == nil)
    }

    @Test func aNulEndsTheLineAndHidesANewlineAfterIt() {
        let line = interpreter("#!/bin/sh\0 -x\n")
        #expect(line?.path == "/bin/sh")
        #expect(line?.argument == nil)
    }

    @Test func onlyTheFirst256BytesCountAndAnArgumentMayBeCutThere() {
        let line = interpreter("#!/bin/sh " + String(repeating: "x", count: 300) + "\n")
        #expect(line?.path == "/bin/sh")
        // Bytes 10 to 254: the kernel's buffer is 256 bytes and its last one is never part of the line.
        #expect(line?.argument == String(repeating: "x", count: 245))
    }

    @Test(arguments: [
        "", "#", "#!", "#!\n", "#!  \t\n", "\u{7f}ELF\u{2}\u{1}\u{1}", "echo #!/bin/sh\n",
        "#!/" + String(repeating: "a", count: 300),
    ])
    func whatTheKernelWouldNotRunAsAScriptHasNoInterpreter(head: String) {
        #expect(interpreter(head) == nil)
    }

    @Test func envWithOneCommandNameRunsThatCommand() {
        #expect(interpreter("#!/usr/bin/env python3\n")?.commandRunByEnv == "python3")
        #expect(interpreter("#!/bin/env bash\n")?.commandRunByEnv == "bash")
    }

    @Test(arguments: ["#!/usr/bin/env -S python3 -u\n", "#!/usr/bin/env PYTHONUNBUFFERED=1 python3\n",
                      "#!/usr/bin/env\n", "#!/bin/sh python3\n"])
    func envWithOptionsOrAssignmentsOrAnotherInterpreterRunsNoCommandDirectly(head: String) {
        #expect(interpreter(head)?.commandRunByEnv == nil)
    }
}
