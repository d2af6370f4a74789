/* log.c: see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int g_level = -1;
static vct_log_callback g_cb;
static void *g_cb_user;

void vct_set_log_callback(vct_log_callback cb, void *user_data) {
    g_cb = cb;
    g_cb_user = user_data;
}

void log_set_level(int level) { g_level = level; }

int log_get_level(void) {
    if (g_level < 0) {
        const char *e = getenv("VCT_LOG_LEVEL");
        g_level = e ? atoi(e) : VCT_LOG_INFO;
    }
    return g_level;
}

void log_msg(int level, const char *fmt, ...) {
    if (level > log_get_level()) return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (g_cb) {
        g_cb(level, buf, g_cb_user);
        return;
    }
    static const char *tags[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "vct: %s: %s\n", tags[level < 0 ? 0 : level > 3 ? 3 : level], buf);
}

double wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_time(double s, char *buf, size_t cap) {
    if (s < 0 || s > 1e7) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void progress_draw(progress *p, int final) {
    double now = wall_seconds(), el = now - p->t_start;
    double rate = el > 0 ? (double)p->done / el : 0;
    char eta[32], took[32];
    fmt_time(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
    fmt_time(el, took, sizeof took);
    int pct = p->total > 0 ? (int)(100 * p->done / p->total) : 100;
    if (final)
        fprintf(stderr, "%s%s  %lld/%lld  %3d%%  %.2f it/s  took %s\n", p->tty ? "\r" : "", /* < 100: stopped early */
                p->label, (long long)p->done, (long long)p->total, pct, rate, took);
    else
        fprintf(stderr, "%s%s  %lld/%lld  %3d%%  %.2f it/s  ETA %s%s", p->tty ? "\r" : "", p->label,
                (long long)p->done, (long long)p->total, pct, rate, eta, p->tty ? "" : "\n");
    fflush(stderr);
    p->t_last_draw = now;
}

void progress_begin(progress *p, const char *label, int64_t total) {
    p->label = label;
    p->total = total;
    p->done = 0;
    p->t_start = p->t_last_draw = wall_seconds();
    p->last_decile = 0;
    p->tty = isatty(2);
    p->quiet = log_get_level() < VCT_LOG_INFO;
}

void progress_step(progress *p, int64_t n) {
    p->done += n;
    if (p->quiet) return;
    if (p->tty) {
        if (wall_seconds() - p->t_last_draw >= 0.25) progress_draw(p, 0);
    } else if (p->total > 0) {
        int dec = (int)(10 * p->done / p->total);
        if (dec > p->last_decile && p->done < p->total) {
            p->last_decile = dec;
            progress_draw(p, 0);
        }
    }
}

void progress_end(progress *p) {
    if (!p->quiet) progress_draw(p, 1);
}
