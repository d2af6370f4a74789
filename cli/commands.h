/* commands.h: one entry point per subcommand; each returns the exit status
 * (0 success, 1 runtime error, 2 usage error). */
#ifndef VCT_CLI_COMMANDS_H
#define VCT_CLI_COMMANDS_H

int cmd_inspect(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_segment(int argc, char **argv);

#endif
