#define _GNU_SOURCE
#include "lm_process.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <unistd.h>


// Moves fds[i] to 3 + i. Each goes first to a close-on-exec copy above every target, so that
// placing one never overwrites another still to be placed. Returns 0, or -1 with errno.
// Async-signal-safe.
static int place_fds(const int *fds, int count) {
    int copies[count > 0 ? count : 1];
    for (int i = 0; i < count; i++) {
        copies[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + count);
        if (copies[i] < 0) return -1;
    }
    for (int i = 0; i < count; i++) {
        if (dup2(copies[i], 3 + i) < 0) return -1;
    }
    return 0;
}

// Marks every descriptor from `first` on close-on-exec: the worker gets what it was granted and
// nothing the supervisor itself inherited (a shell's redirection, a socket passed to linemaster).
static void close_others_on_exec(int first) {
    if (close_range((unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Kernels before 5.11 know no CLOSE_RANGE_CLOEXEC.
    for (int fd = first; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// Writes the decimal digits of `pid` and a NUL at `out` (room for 20 characters). Async-signal-safe.
static void write_pid(char *out, pid_t pid) {
    char digits[20];
    int n = 0;
    unsigned long value = (unsigned long)pid;
    do { digits[n++] = (char)('0' + value % 10); value /= 10; } while (value > 0);
    while (n > 0) *out++ = digits[--n];
    *out = '\0';
}

// Runs in the forked child: only async-signal-safe calls until execve.
static void child_exec(const char *path, char *const argv[], char *const envp[],
                       const int *fds, int fd_count, int listen_pid_entry, int parent_death_signal,
                       pid_t parent, int error_fd) {
    setpgid(0, 0);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (parent_death_signal > 0) {
        prctl(PR_SET_PDEATHSIG, parent_death_signal, 0, 0, 0);
        // The parent may have died before prctl took effect.
        if (getppid() != parent) _exit(1);
    }
    // The report pipe too must stay clear of the descriptors being placed.
    error_fd = fcntl(error_fd, F_DUPFD_CLOEXEC, 3 + fd_count);
    if (place_fds(fds, fd_count) == 0) {
        close_others_on_exec(3 + fd_count);
        if (listen_pid_entry >= 0) write_pid(envp[listen_pid_entry] + sizeof "LISTEN_PID=" - 1, getpid());
        execve(path, argv, envp);
    }
    int err = errno;
    (void)!write(error_fd, &err, sizeof err);
    _exit(127);
}

pid_t lm_spawn(const char *path, char *const argv[], char *const envp[],
               const int *fds, int fd_count, int listen_pid_entry, int parent_death_signal) {
    // A close-on-exec pipe tells the parent whether execve succeeded (EOF) or why it failed.
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(report[0]);
        close(report[1]);
        errno = err;
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        child_exec(path, argv, envp, fds, fd_count, listen_pid_entry, parent_death_signal, parent, report[1]);
    }
    close(report[1]);
    int err = 0;
    ssize_t n;
    do { n = read(report[0], &err, sizeof err); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == sizeof err) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        errno = err;
        return -1;
    }
    return pid;
}

void lm_keep_freed_memory(size_t bytes) {
    mallopt(M_MMAP_THRESHOLD, (int)bytes);
    mallopt(M_TRIM_THRESHOLD, (int)(2 * bytes));
}
