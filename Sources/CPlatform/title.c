#define _GNU_SOURCE
#include "lm_title.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

static int saved_argc;
static char **saved_argv;
static char *area_start;
static size_t area_size;

// glibc passes argc, argv and envp to ELF constructors: remember where the strings live.
__attribute__((constructor)) static void lm_title_save_args(int argc, char **argv, char **envp) {
    saved_argc = argc;
    saved_argv = argv;
    (void)envp;
}

// Finds the contiguous argv+environ string area and moves environ's strings elsewhere,
// as ps_status.c does, so that the whole area can hold the title.
static void claim_area(void) {
    if (saved_argc == 0 || saved_argv == NULL) return;
    char *end = saved_argv[0] + strlen(saved_argv[0]) + 1;
    for (int i = 1; i < saved_argc; i++) {
        if (saved_argv[i] == end) end = saved_argv[i] + strlen(saved_argv[i]) + 1;
    }
    for (int i = 0; environ != NULL && environ[i] != NULL; i++) {
        if (environ[i] == end) end = environ[i] + strlen(environ[i]) + 1;
        environ[i] = strdup(environ[i]);
    }
    area_start = saved_argv[0];
    area_size = (size_t)(end - area_start);
}

void lm_set_process_title(const char *title) {
    if (area_start == NULL) claim_area();
    if (area_start == NULL || area_size < 2) return;
    size_t n = strlen(title);
    if (n > area_size - 1) n = area_size - 1;
    memcpy(area_start, title, n);
    memset(area_start + n, 0, area_size - n);
    // Linux shows the area up to the first NUL only when argv[1] no longer follows argv[0].
    for (int i = 1; i < saved_argc; i++) saved_argv[i] = area_start + area_size - 1;
}
