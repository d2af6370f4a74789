/* args.c: see args.h. */
#include "args.h"

#include <string.h>

void cli_usage(const cli_cmd *cmd, FILE *f) {
    fprintf(f, "usage: vct %s %s\n  %s\n", cmd->name, cmd->synopsis, cmd->summary);
    if (!cmd->opts || !cmd->opts[0].name) return;
    fprintf(f, "options:\n");
    for (const cli_opt *o = cmd->opts; o->name; o++) {
        char lhs[64];
        if (o->short_name)
            snprintf(lhs, sizeof lhs, "-%c, --%s%s", o->short_name, o->name, o->takes_value ? " V" : "");
        else
            snprintf(lhs, sizeof lhs, "    --%s%s", o->name, o->takes_value ? " V" : "");
        fprintf(f, "  %-24s %s", lhs, o->help);
        if (o->deflt) fprintf(f, " [%s]", o->deflt);
        fprintf(f, "\n");
    }
    fprintf(f, "  %-24s %s\n", "-h, --help", "show this help");
}

static cli_opt *find_long(const cli_cmd *cmd, const char *name, size_t len) {
    for (cli_opt *o = cmd->opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) return o;
    return NULL;
}

static cli_opt *find_short(const cli_cmd *cmd, char c) {
    for (cli_opt *o = cmd->opts; o && o->name; o++)
        if (o->short_name == c) return o;
    return NULL;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, const char **pos, int *npos) {
    *npos = 0;
    for (cli_opt *o = cmd->opts; o && o->name; o++) {
        o->value = o->deflt;
        o->given = 0;
    }
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            cli_usage(cmd, stdout);
            return 3;
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0') {
            cli_opt *o;
            const char *val = NULL;
            if (a[1] == '-') {
                const char *eq = strchr(a + 2, '=');
                size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
                o = find_long(cmd, a + 2, len);
                if (eq) val = eq + 1;
            } else {
                o = a[2] == '\0' ? find_short(cmd, a[1]) : NULL;
            }
            if (!o) {
                fprintf(stderr, "vct %s: unknown option '%s' (see vct %s --help)\n", cmd->name, a, cmd->name);
                return 2;
            }
            if (o->takes_value) {
                if (!val) {
                    if (i + 1 >= argc) {
                        fprintf(stderr, "vct %s: option --%s needs a value\n", cmd->name, o->name);
                        return 2;
                    }
                    val = argv[++i];
                }
                o->value = val;
            } else {
                if (val) {
                    fprintf(stderr, "vct %s: option --%s takes no value\n", cmd->name, o->name);
                    return 2;
                }
                o->value = "1";
            }
            o->given = 1;
            continue;
        }
        if (*npos >= cmd->max_pos) {
            fprintf(stderr, "vct %s: unexpected argument '%s' (see vct %s --help)\n", cmd->name, a, cmd->name);
            return 2;
        }
        pos[(*npos)++] = a;
    }
    if (*npos < cmd->min_pos) {
        fprintf(stderr, "vct %s: missing argument\n", cmd->name);
        cli_usage(cmd, stderr);
        return 2;
    }
    return 0;
}

const char *cli_get(const cli_cmd *cmd, const char *name) {
    cli_opt *o = find_long(cmd, name, strlen(name));
    return o ? o->value : NULL;
}

int cli_flag(const cli_cmd *cmd, const char *name) {
    const char *v = cli_get(cmd, name);
    return v && strcmp(v, "1") == 0;
}

int cli_given(const cli_cmd *cmd, const char *name) {
    cli_opt *o = find_long(cmd, name, strlen(name));
    return o && o->given;
}
