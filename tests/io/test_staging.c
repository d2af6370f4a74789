/* test_staging.c: io/staging.c. A staging folder becomes a missing or empty OUT by
 * rename; into an OUT that holds other files its files are moved over their namesakes
 * (folders merged, other files kept) and the staging folder is gone; a leftover one is
 * seen; discard removes it; a temporary one is made fresh and has no OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/fs.h"
#include "io/staging.h"
#include "testlib.h"

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int has(const char *path, const char *text) {
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return !strcmp(buf, text);
}

static int exists(const char *path) {
    struct stat sb;
    return lstat(path, &sb) == 0;
}

int main(void) {
    char root[] = "/tmp/vct_test_staging_XXXXXX";
    if (!mkdtemp(root)) return tl_expect(0, "mkdtemp", "failed"), tl_summary("io/staging");
    vct_error err = {0};
    char out[200], p[STAGING_PATH_MAX + 100];
    snprintf(out, sizeof out, "%s/out", root);
    staging s;
    tl_expect(staging_init(&s, out, &err) == VCT_STATUS_OK && !strcmp(s.out, out) &&
                  !strcmp(s.dir + strlen(out), ".partial") && !staging_left_over(&s),
              "init names OUT.partial and creates nothing", "%s", s.dir);
    /* 1. OUT missing: renamed */
    snprintf(p, sizeof p, "%s/sub", s.dir);
    tl_expect(staging_create(&s, &err) == VCT_STATUS_OK && fs_mkdirs(p, &err) == VCT_STATUS_OK, "create", "%s", err.msg);
    snprintf(p, sizeof p, "%s/sub/a.txt", s.dir);
    put(p, "new a");
    tl_expect(staging_left_over(&s), "a staging folder with entries is seen as left over", "not");
    tl_expect(staging_commit(&s, &err) == VCT_STATUS_OK && !exists(s.dir), "commit into a missing OUT", "%s", err.msg);
    snprintf(p, sizeof p, "%s/sub/a.txt", out);
    tl_expect(has(p, "new a"), "the staged file is in OUT", "missing");
    /* 2. OUT with other files: merged, namesakes replaced, others kept */
    snprintf(p, sizeof p, "%s/keep.txt", out);
    put(p, "old keep");
    staging_create(&s, &err);
    snprintf(p, sizeof p, "%s/sub", s.dir);
    fs_mkdirs(p, &err);
    snprintf(p, sizeof p, "%s/sub/a.txt", s.dir);
    put(p, "newer a");
    snprintf(p, sizeof p, "%s/b.txt", s.dir);
    put(p, "new b");
    tl_expect(staging_commit(&s, &err) == VCT_STATUS_OK && !exists(s.dir), "commit into an OUT with other files",
              "%s", err.msg);
    char a[300], b[300], k[300];
    snprintf(a, sizeof a, "%s/sub/a.txt", out);
    snprintf(b, sizeof b, "%s/b.txt", out);
    snprintf(k, sizeof k, "%s/keep.txt", out);
    tl_expect(has(a, "newer a") && has(b, "new b") && has(k, "old keep"),
              "namesakes replaced, new files added, other files kept", "wrong contents");
    /* 3. discard */
    staging_create(&s, &err);
    snprintf(p, sizeof p, "%s/x.txt", s.dir);
    put(p, "x");
    tl_expect(staging_discard(&s, &err) == VCT_STATUS_OK && !exists(s.dir) && has(k, "old keep"),
              "discard removes the staging folder and leaves OUT", "%s", err.msg);
    /* 4. a temporary staging folder */
    staging t;
    tl_expect(staging_init_temp(&t, "vct-test", &err) == VCT_STATUS_OK && exists(t.dir) && !t.out[0] &&
                  staging_commit(&t, &err) != VCT_STATUS_OK && staging_discard(&t, &err) == VCT_STATUS_OK &&
                  !exists(t.dir),
              "temporary: created fresh, no OUT to commit to, discarded", "%s", err.msg);
    /* 5. an OUT that is a file */
    char f[300];
    snprintf(f, sizeof f, "%s/file", root);
    put(f, "f");
    staging u;
    staging_init(&u, f, &err);
    staging_create(&u, &err);
    snprintf(p, sizeof p, "%s/y.txt", u.dir);
    put(p, "y");
    tl_expect(staging_commit(&u, &err) != VCT_STATUS_OK && strstr(err.msg, "not a folder") && has(f, "f"),
              "an OUT that is a file is refused and kept", "'%s'", err.msg);
    fs_remove_tree(root, &err);
    return tl_summary("io/staging");
}
