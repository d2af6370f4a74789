/* fs.c: folder helpers (fs.h). */
#define _XOPEN_SOURCE 700
#include "io/fs.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

vct_status fs_mkdirs(const char *path, vct_error *err) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 1);
    if (!tmp) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    memcpy(tmp, path, n + 1);
    vct_status st = VCT_STATUS_OK;
    for (size_t i = 1; i <= n && st == VCT_STATUS_OK; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0') continue;
        char c = tmp[i];
        tmp[i] = '\0';
        struct stat sb;
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            st = vct_fail(err, VCT_STATUS_IO, "%s: cannot create folder: %s", tmp, strerror(errno));
        else if (stat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode))
            st = vct_fail(err, VCT_STATUS_IO, "%s: exists and is not a folder", tmp);
        tmp[i] = c;
    }
    free(tmp);
    return st;
}

vct_status fs_mkdirs_parent(const char *path, vct_error *err) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return VCT_STATUS_OK;
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    memcpy(dir, path, n);
    dir[n] = '\0';
    vct_status st = fs_mkdirs(dir, err);
    free(dir);
    return st;
}

int fs_missing_or_empty(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return errno == ENOENT;
    if (!S_ISDIR(sb.st_mode)) return 0;
    DIR *d = opendir(path);
    if (!d) return 0;
    int empty = 1;
    struct dirent *e;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

/* nftw offers no user pointer: the first failure is kept here (one removal at a time). */
static char remove_failed[1024];

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : remove(path);
    if (rc != 0 && !remove_failed[0]) snprintf(remove_failed, sizeof remove_failed, "%s: %s", path, strerror(errno));
    return 0; /* go on: remove as much as possible */
}

vct_status fs_remove_tree(const char *path, vct_error *err) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return VCT_STATUS_OK;
    remove_failed[0] = '\0';
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return vct_fail(err, VCT_STATUS_IO, "%s: cannot walk the folder to remove it: %s", path, strerror(errno));
    if (remove_failed[0]) return vct_fail(err, VCT_STATUS_IO, "cannot remove %s", remove_failed);
    return VCT_STATUS_OK;
}
