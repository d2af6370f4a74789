/* conform_stages.h: the parts of the model `vct conform` can run so far. Each
 * stage reads the case (and the tensors earlier stages put in the dump) and
 * adds its tensors to the dump under the case's names. A module that lands
 * adds its stage here and its names to tests/conform_required.txt. */
#ifndef VCT_CLI_CONFORM_STAGES_H
#define VCT_CLI_CONFORM_STAGES_H

#include "io/conform_case.h"

typedef struct conform_stage {
    const char *name;
    const char *produces; /* the dump names (or prefixes) it writes, for --list */
    vct_status (*run)(const conform_case *c, tensor_dict *dump, vct_error *err);
} conform_stage;

extern const conform_stage conform_stages[];
extern const int conform_stage_count;

#endif
