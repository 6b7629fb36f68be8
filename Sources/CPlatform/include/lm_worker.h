// Worker-side helpers: signal flags set by handlers, and the death-pipe watcher.
#ifndef LM_WORKER_H
#define LM_WORKER_H

/// Installs a handler for `sig` that only records its arrival (no SA_RESTART, so a blocking
/// call returns EINTR and the worker's loop gets to look at the flag).
int lm_install_flag_handler(int sig);

/// Makes SIGQUIT end the process at once with status 2, as PostgreSQL's quickdie does: the
/// supervisor sends it when the shared memory may be damaged, so nothing may be cleaned up.
int lm_install_quick_exit_on_sigquit(void);

/// Returns 1 if `sig` arrived since the last call, and clears the flag.
int lm_take_signal_flag(int sig);

/// Starts a thread that blocks reading `fd` and ends the process with status 1 at EOF:
/// the supervisor holds the write end, so EOF means it is gone.
int lm_watch_death_pipe(int fd);

#endif
