// Process control that Swift cannot express: signalfd, spawn, malloc tuning.
#ifndef LM_PROCESS_H
#define LM_PROCESS_H

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>


/// Starts `path` with `argv` and `envp` in a new process group, with every signal at its default
/// disposition and unblocked, and `parent_death_signal` delivered if the caller dies.
/// The child inherits `fds[i]` as descriptor 3 + i (count `fd_count`), as systemd passes
/// sockets; all other descriptors of the caller are expected to be close-on-exec.
/// With `listen_pid_entry` >= 0, `envp[listen_pid_entry]` must be `LISTEN_PID=` followed by at
/// least 20 writable characters: the child writes its own pid there. Returns the child's pid,
/// or -1 with errno set to the reason exec failed (the child is then already reaped). The caller
/// must be single-threaded.
pid_t lm_spawn(const char *path, char *const argv[], char *const envp[],
               const int *fds, int fd_count, int listen_pid_entry, int parent_death_signal);

/// Makes malloc keep freed blocks of up to `bytes` in the heap for reuse instead of returning
/// them to the kernel (glibc's mmap and trim thresholds), for a process that allocates and frees
/// the same large buffers over and over.
void lm_keep_freed_memory(size_t bytes);

#endif
