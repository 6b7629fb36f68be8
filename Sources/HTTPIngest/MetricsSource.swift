import Metrics
import SharedRing

/// What `/metrics` serves: the snapshot `linemaster status --prometheus` prints, read from the
/// supervisor's files in its data directory (`LINEMASTER_DATA_DIR`, which every worker is
/// given) and from the ring this worker has mapped.
struct MetricsSource {
    let dataDirectory: String
    /// The worker's parent: the kernel's drops at its sockets are read in its network namespace.
    let supervisorPid: Int32
    let ring: SharedRing

    func render() -> String {
        PrometheusText.render(.read(dataDirectory: dataDirectory, supervisorPid: supervisorPid, ring: ring))
    }
}
