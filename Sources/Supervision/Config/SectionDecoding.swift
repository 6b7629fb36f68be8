// The [supervisor] and [ring] sections.
extension ConfigDecoder {
    mutating func decodeSupervisor(_ table: TOMLTable) -> SupervisorSettings {
        var settings = SupervisorSettings()
        for entry in table.entries {
            switch entry.key {
            case "shutdown_timeout": settings.shutdownTimeout = duration(entry) ?? settings.shutdownTimeout
            case "restart_after_crash": settings.restartAfterCrash = boolean(entry) ?? settings.restartAfterCrash
            case "max_restart_delay": settings.maxRestartDelay = duration(entry) ?? settings.maxRestartDelay
            case "max_restarts": settings.maxRestarts = integer(entry, in: 0...Int.max) ?? settings.maxRestarts
            case "restart_window": settings.restartWindow = duration(entry) ?? settings.restartWindow
            default:
                reportUnknown(entry, in: "[supervisor]", known: [
                    "shutdown_timeout", "restart_after_crash", "max_restart_delay", "max_restarts", "restart_window",
                ])
            }
        }
        return settings
    }

    mutating func decodeRing(_ table: TOMLTable) -> RingSettings {
        var settings = RingSettings()
        for entry in table.entries {
            switch entry.key {
            case "size": settings.size = ringSize(entry) ?? settings.size
            default: reportUnknown(entry, in: "[ring]", known: ["size"])
            }
        }
        return settings
    }

    /// `"64MiB"` or a plain number of bytes, within the limits of `RingSettings`.
    private mutating func ringSize(_ entry: TOMLTable.Entry) -> Int? {
        byteSize(entry, in: RingSettings.minimumSize...RingSettings.maximumSize, what: "ring size")
    }
}
