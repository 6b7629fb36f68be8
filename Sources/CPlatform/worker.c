#define _GNU_SOURCE
#include "lm_worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t arrived[NSIG];

static void record_signal(int sig) { arrived[sig] = 1; }

int lm_install_flag_handler(int sig) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, NULL);
}

static void quick_exit_handler(int sig) {
    (void)sig;
    _exit(2);
}

int lm_install_quick_exit_on_sigquit(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = quick_exit_handler;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGQUIT, &action, NULL);
}

int lm_take_signal_flag(int sig) {
    if (sig <= 0 || sig >= NSIG || !arrived[sig]) return 0;
    arrived[sig] = 0;
    return 1;
}

static void *watch(void *arg) {
    int fd = (int)(long)arg;
    // Handlers belong to the worker's main thread; this one only waits.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    char byte;
    for (;;) {
        ssize_t n = read(fd, &byte, 1);
        if (n == 0 || (n < 0 && errno != EINTR)) _exit(1);
    }
    return NULL;
}

int lm_watch_death_pipe(int fd) {
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, watch, (void *)(long)fd);
    if (rc == 0) pthread_detach(thread);
    return rc;
}
