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
        let bytes: Int?
        switch entry.value.kind {
        case .integer(let number): bytes = number
        case .string(let text): bytes = ByteSize.parse(text)
        default: bytes = nil
        }
        guard let bytes else {
            report(line: entry.value.line, "bad size \(sizeText(entry.value)) for size: expected a number of bytes "
                + "or a number with a unit B, KiB, MiB or GiB, e.g. \"64MiB\"")
            return nil
        }
        let (minimum, maximum) = (RingSettings.minimumSize, RingSettings.maximumSize)
        guard (minimum...maximum).contains(bytes) else {
            report(line: entry.value.line, "ring size \(sizeText(entry.value)) is out of range: "
                + "it must be between \(ByteSize.format(minimum)) and \(ByteSize.format(maximum))")
            return nil
        }
        return bytes
    }

    private func sizeText(_ value: TOMLValue) -> String {
        switch value.kind {
        case .string(let text): "\"\(text)\""
        case .integer(let number): "\(number)"
        default: value.typeDescription
        }
    }
}
