// Process titles as PostgreSQL's ps_status.c sets them: overwrite the argv area in place.
#ifndef LM_TITLE_H
#define LM_TITLE_H

/// Replaces what `ps -eo args` shows for this process. The first call moves the environment
/// out of the way (getenv keeps working); later calls only rewrite. Titles longer than the
/// original argv+environ area are cut. Read CommandLine.arguments before the first call.
void lm_set_process_title(const char *title);

#endif
