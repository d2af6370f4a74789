/* log.h: leveled logging to stderr (or the user's callback) and a progress
 * line with ETA for long work. Results go to stdout or files, never here. */
#ifndef VCT_CORE_LOG_H
#define VCT_CORE_LOG_H

#include <stdint.h>

#include "core/error.h"

enum { VCT_LOG_ERROR = 0, VCT_LOG_WARN = 1, VCT_LOG_INFO = 2, VCT_LOG_DEBUG = 3 };

/* Messages above this level are dropped. Default: VCT_LOG_INFO, or $VCT_LOG_LEVEL. */
void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) VCT_PRINTF(2, 3);
#define log_error(...) log_msg(VCT_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(VCT_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(VCT_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(VCT_LOG_DEBUG, __VA_ARGS__)

/* Progress: "label  37/120  31%  2.1 it/s  ETA 0:39". Redrawn at most every
 * 0.25 s on a terminal, or once per 10% when stderr is not a terminal. */
typedef struct progress {
    const char *label;
    int64_t total, done;
    double t_start, t_last_draw;
    int last_decile, tty, quiet;
} progress;

double wall_seconds(void); /* monotonic */
void progress_begin(progress *p, const char *label, int64_t total);
void progress_step(progress *p, int64_t n);
void progress_end(progress *p);

#endif
