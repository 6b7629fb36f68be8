#define _GNU_SOURCE
#include "lm_process.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>


// Runs in the forked child: only async-signal-safe calls until execve.
static void child_exec(const char *path, char *const argv[], char *const envp[],
                       const int *inherit_fds, int inherit_count, int parent_death_signal,
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
    for (int i = 0; i < inherit_count; i++) fcntl(inherit_fds[i], F_SETFD, 0);
    execve(path, argv, envp);
    int err = errno;
    (void)!write(error_fd, &err, sizeof err);
    _exit(127);
}

pid_t lm_spawn(const char *path, char *const argv[], char *const envp[],
               const int *inherit_fds, int inherit_count, int parent_death_signal) {
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
        child_exec(path, argv, envp, inherit_fds, inherit_count, parent_death_signal, parent, report[1]);
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
