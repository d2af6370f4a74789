/* staging.c: see staging.h. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include "io/staging.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/fs.h"

vct_status staging_init(staging *s, const char *out, vct_error *err) {
    memset(s, 0, sizeof *s);
    if (snprintf(s->out, sizeof s->out, "%s", out) >= (int)sizeof s->out ||
        snprintf(s->dir, sizeof s->dir, "%s.partial", out) >= (int)sizeof s->dir)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: path too long", out);
    return VCT_STATUS_OK;
}

vct_status staging_init_temp(staging *s, const char *prefix, vct_error *err) {
    const char *tmp = getenv("TMPDIR");
    s->out[0] = '\0';
    if (snprintf(s->dir, sizeof s->dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix) >= (int)sizeof s->dir)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "TMPDIR %s: path too long", tmp);
    if (!mkdtemp(s->dir))
        return vct_fail(err, VCT_STATUS_IO, "cannot create a temporary folder %s: %s", s->dir, strerror(errno));
    return VCT_STATUS_OK;
}

int staging_left_over(const staging *s) { return !fs_missing_or_empty(s->dir); }

vct_status staging_create(const staging *s, vct_error *err) { return fs_mkdirs(s->dir, err); }

vct_status staging_discard(const staging *s, vct_error *err) { return fs_remove_tree(s->dir, err); }

/* move every entry of from/ into to/ (merging folders), then remove from/ */
static vct_status merge_into(const char *from, const char *to, vct_error *err) {
    DIR *d = opendir(from);
    if (!d) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open the folder (%s)", from, strerror(errno));
    vct_status st = VCT_STATUS_OK;
    struct dirent *e;
    char src[STAGING_PATH_MAX + 256], dst[STAGING_PATH_MAX + 256];
    while (st == VCT_STATUS_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        struct stat ss, ds;
        if (lstat(src, &ss) != 0) {
            st = vct_fail(err, VCT_STATUS_IO, "%s: %s", src, strerror(errno));
        } else if (S_ISDIR(ss.st_mode) && lstat(dst, &ds) == 0 && S_ISDIR(ds.st_mode)) {
            st = merge_into(src, dst, err);
        } else if (rename(src, dst) != 0) {
            st = vct_fail(err, VCT_STATUS_IO, "cannot rename %s to %s: %s", src, dst, strerror(errno));
        }
    }
    closedir(d);
    if (st == VCT_STATUS_OK && rmdir(from) != 0)
        st = vct_fail(err, VCT_STATUS_IO, "%s: cannot remove the emptied folder (%s)", from, strerror(errno));
    return st;
}

vct_status staging_commit(const staging *s, vct_error *err) {
    if (!s->out[0]) return vct_fail(err, VCT_STATUS_INTERNAL, "%s: a temporary staging folder has no OUT", s->dir);
    if (fs_missing_or_empty(s->out)) {
        if (rename(s->dir, s->out) != 0) /* a new name, or over an empty folder */
            return vct_fail(err, VCT_STATUS_IO, "cannot rename %s to %s: %s", s->dir, s->out, strerror(errno));
        return VCT_STATUS_OK;
    }
    struct stat sb;
    if (stat(s->out, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return vct_fail(err, VCT_STATUS_IO, "%s: exists and is not a folder", s->out);
    return merge_into(s->dir, s->out, err);
}
