import Glibc
import Testing

@Suite struct ProcessTitles {
    @Test func workersAppearInPsAsLinemasterColonName() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "ticker"
            executable = "TESTWORKER"
            [[worker]]
            name = "listener"
            executable = "TESTWORKER"
            count = 2
            """)
        try supervisor.startReady()
        try supervisor.waitForWorkers(["ticker", "listener 1", "listener 2"])
        let titles = Set(supervisor.workers().map(\.title))
        #expect(titles == ["linemaster: ticker", "linemaster: listener 1", "linemaster: listener 2"])
    }

    @Test func aWorkerChangesItsTitleThroughTheRuntimeWithoutShowingItsEnvironment() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "busy"
            executable = "TESTWORKER"
            args = ["--title", "COPY cpu 5000 rows"]
            """)
        try supervisor.startReady(environment: ["PGPASSWORD=hunter2-secret"])
        try waitUntil("the title changes") { supervisor.worker("busy")?.title == "linemaster: busy COPY cpu 5000 rows" }
        let everyTitle = ProcessInfoSnapshot.all().map(\.title).joined(separator: "\n")
        #expect(!everyTitle.contains("hunter2-secret"))
    }

    @Test func anyExecutableCanBeAWorker() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "script"
            executable = "./script.sh"
            """)
        writeScript(supervisor.directory + "/script.sh", "echo ran >> \(supervisor.reportPath); exec sleep 60")
        try supervisor.startReady()
        try waitUntil("the script ran") { supervisor.reports() == ["ran"] }
        #expect(supervisor.status()["script"]?["state"] == "running")
    }
}

/// Scripts as workers: a bash, a sh and an `env python3` script, each of which writes what it was
/// started with (`$0` and its arguments, or `sys.argv`), one per line, to `NAME.argv` in the test
/// directory, and then waits to be stopped.
@Suite struct ScriptTitles {
    static let arguments = ["first", "two words"]
    static let scripts: [(name: String, text: String)] = [
        ("bash", """
            #!/bin/bash
            printf '%s\\n' "$0" "$@" > OUT.argv
            while true; do sleep 0.2; done
            """),
        ("sh", """
            #!/bin/sh -eu
            printf '%s\\n' "$0" "$@" > OUT.argv
            while true; do sleep 0.2; done
            """),
        ("python", """
            #!/usr/bin/env python3
            import sys, time
            open("OUT.executable", "w").write(sys.executable + "\\n")
            open("OUT.argv", "w").write("\\n".join(sys.argv) + "\\n")
            while True:
                time.sleep(0.2)
            """),
    ]

    /// A supervisor running the three scripts, each with the same two arguments.
    private func startScripts() throws -> SupervisorProcess {
        let workers = Self.scripts.map { script in
            "[[worker]]\nname = \"\(script.name)\"\nexecutable = \"./\(script.name).script\"\nargs = [\"first\", \"two words\"]\n"
        }
        let supervisor = SupervisorProcess(config: workers.joined())
        for script in Self.scripts {
            let text = script.text.replacingAll("OUT", with: supervisor.directory + "/" + script.name)
            writeFile(supervisor.directory + "/\(script.name).script", text + "\n", mode: 0o755)
        }
        // A PATH where python3 is the interpreter itself, not a wrapper script that starts it
        // (as pyenv's shim is), which would show its own command line.
        try supervisor.startReady(environment: ["PATH=/usr/bin:/bin"])
        return supervisor
    }

    /// The lines a script wrote to `NAME.SUFFIX`, once it has written them.
    private func report(_ supervisor: SupervisorProcess, _ name: String, _ suffix: String) throws -> [String] {
        let path = supervisor.directory + "/\(name).\(suffix)"
        try waitUntil("the \(name) script wrote \(suffix)") { readFile(path)?.hasSuffix("\n") ?? false }
        return (readFile(path) ?? "").split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test func everyScriptShowsLinemasterColonItsNameAtTheStartOfItsTitle() throws {
        let supervisor = try startScripts()
        let pids = try supervisor.waitForWorkers(Self.scripts.map(\.name))
        for script in Self.scripts {
            let cmdline = readFile("/proc/\(pids[script.name]!)/cmdline") ?? ""
            #expect(cmdline.split(separator: "\0").first == "linemaster: \(script.name)", "\(cmdline)")
        }
    }

    @Test func everyScriptSeesItsOwnPathAndItsArguments() throws {
        let supervisor = try startScripts()
        for script in Self.scripts {
            // The path the launcher resolved: relative ones start at the config file's directory.
            let path = supervisor.directory + "/./\(script.name).script"
            #expect(try report(supervisor, script.name, "argv") == [path] + Self.arguments)
        }
    }

    @Test func aPythonScriptKnowsItsInterpreter() throws {
        let supervisor = try startScripts()
        #expect(try report(supervisor, "python", "executable") == ["/usr/bin/python3"])
    }
}

@Suite struct Idleness {
    /// Clock ticks (1/100 s) of CPU the process has used, from /proc/PID/stat.
    static func cpuTicks(_ pid: pid_t) -> Int {
        guard let stat = readFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return -1 }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// With a worker that starts at once, and with one that waits for a database that never comes.
    @Test(arguments: [
        #"flags = []"#,
        #"flags = ["shared-memory", "database"]\#nstart = "database-ready""#,
    ])
    func aSupervisorWithNothingToDoSleeps(workerSettings: String) throws {
        let supervisor = SupervisorProcess(config: """
            [database]
            url = "host=/nonexistent-socket-dir"
            [[worker]]
            name = "ticker"
            executable = "TESTWORKER"
            \(workerSettings)
            """)
        try supervisor.startReady()
        usleep(300_000)
        let before = Self.cpuTicks(supervisor.pid)
        usleep(2_000_000)
        // Asleep in poll, it wakes only for signals and timers (a database probe once a second).
        #expect(Self.cpuTicks(supervisor.pid) - before < 20)
    }
}
