/* args.h: a small long-option parser shared by the subcommands.
 * Each option has a long name, an optional short alias, a value or not, a
 * default shown in the usage text, and a help line. Unknown options, missing
 * values and stray positionals are usage errors (exit 2). */
#ifndef VCT_CLI_ARGS_H
#define VCT_CLI_ARGS_H

#include <stdio.h>

typedef struct cli_opt {
    const char *name;  /* "dump" for --dump */
    char short_name;   /* 'o' for -o, or 0 */
    int takes_value;   /* 1: --name VALUE or --name=VALUE; 0: a flag */
    const char *deflt; /* default value shown in usage; NULL for none */
    const char *help;
    const char *value; /* filled: the value, "1" for a given flag, else deflt */
    int given;
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *synopsis; /* "FILE [options]" */
    const char *summary;  /* one line */
    int min_pos, max_pos; /* positional argument count */
    cli_opt *opts;        /* terminated by {0} */
} cli_cmd;

/* Parse argv (after the subcommand). Returns 0 on success, 2 on a usage error
 * (message printed), 3 if --help was given (usage printed to stdout).
 * Positionals are returned in pos[0..*npos). */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, const char **pos, int *npos);
void cli_usage(const cli_cmd *cmd, FILE *f);
const char *cli_get(const cli_cmd *cmd, const char *name);
int cli_flag(const cli_cmd *cmd, const char *name);
/* 1 if the option was on the command line (not just its default). */
int cli_given(const cli_cmd *cmd, const char *name);

#endif
