/* staging.h: all or nothing for a folder of outputs. A run writes into a staging folder
 * (OUT.partial beside OUT, or a fresh temporary folder) and the staging folder becomes OUT
 * only when every file is complete; a run that fails removes it (or keeps it, for a
 * command that can resume). So OUT never holds a half-written run. `vct segment` and
 * `vct eval --data --model` share it. */
#ifndef VCT_IO_STAGING_H
#define VCT_IO_STAGING_H

#include "core/error.h"

#define STAGING_PATH_MAX 4096

typedef struct staging {
    char out[STAGING_PATH_MAX]; /* the final folder; "" for a temporary run */
    char dir[STAGING_PATH_MAX]; /* where the run writes: OUT.partial or the temporary folder */
} staging;

/* Name the staging folder of out: OUT.partial (nothing is created). Fails if the path is
 * too long. */
vct_status staging_init(staging *s, const char *out, vct_error *err);
/* A fresh temporary staging folder (mkdtemp in $TMPDIR, else /tmp, named prefix-XXXXXX),
 * created; s->out is "" (staging_commit is then an error; staging_discard removes it). */
vct_status staging_init_temp(staging *s, const char *prefix, vct_error *err);
/* 1 if the staging folder exists with entries: a run that stopped (resume it or refuse). */
int staging_left_over(const staging *s);
/* mkdir -p the staging folder. */
vct_status staging_create(const staging *s, vct_error *err);
/* The staging folder becomes OUT: renamed when OUT is missing or an empty folder;
 * otherwise (an OUT that holds other files, which vct segment writes into) each staged
 * file is renamed over its namesake in OUT, folders created as needed, and the emptied
 * staging folder removed. */
vct_status staging_commit(const staging *s, vct_error *err);
/* rm -r the staging folder (never following links). */
vct_status staging_discard(const staging *s, vct_error *err);

#endif
