import WorkerRuntime
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

extension Supervisor {
    /// `linemaster start`: loads the config, takes the data directory and runs until shutdown.
    /// Returns the process exit status: 0 after a shutdown, 1 after a crash with
    /// `restart_after_crash = false`, 2 when it could not start.
    public static func runInForeground(dataDirectory: String, configPath: String) -> Int32 {
        do {
            let directory = try prepareDataDirectory(dataDirectory)
            let config = try loadConfig(absolutePath(configPath))
            var supervisor = try Supervisor(dataDirectory: directory, config: config)
            return supervisor.run()
        } catch {
            Log.write("cannot start: \(error)")
            return 2
        }
    }

    private static func loadConfig(_ path: String) throws(SupervisorError) -> LinemasterConfig {
        do { return try LinemasterConfig.load(path: path) } catch { throw .config(error) }
    }

    /// Creates the data directory (mode 0700) if needed and returns its absolute path.
    private static func prepareDataDirectory(_ path: String) throws(SupervisorError) -> String {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw .system(SystemCallError("creating data directory \(path)")) }
        guard let resolved = realpath(path, nil) else { throw .system(SystemCallError("resolving \(path)")) }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// `path` made absolute against the current directory, so that reloads and workers see the same file.
public func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    guard let cwd = getcwd(nil, 0) else { return path }
    defer { free(cwd) }
    return String(cString: cwd) + "/" + path
}
