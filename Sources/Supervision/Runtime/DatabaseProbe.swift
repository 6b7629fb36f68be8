/// Tells whether the database accepts connections, which is what `start = "database-ready"`
/// waits for.
///
/// The supervisor never asks itself: a server that does not answer would hold its one loop for
/// the whole connect timeout, deaf to signals and children. The state machine asks for a probe
/// (``SupervisorAction/startProbe``) and the loop starts `linemaster probe-database` as a child
/// with the `database` capability (``probeWorker``), which asks once with PQping and exits with
/// the answer (``DatabaseReadiness``) as its status; the loop hands it to ``SupervisorStateMachine/probeExited(_:now:)``
/// when it reaps the child, as postmaster learns everything from its children. So the
/// supervisor does not link libpq at all.
enum DatabaseProbe {
    /// The child the supervisor starts to ask: `linemaster probe-database`, shown in ps as
    /// `linemaster: database probe`.
    static let probeWorker = WorkerSpec(name: "database probe", executable: "linemaster", args: ["probe-database"], flags: [.database])
}
