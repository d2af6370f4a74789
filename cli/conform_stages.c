/* conform_stages.c: the stage table of `vct conform`; see conform_stages.h. */
#include "conform_stages.h"

/* No model module has landed yet; the table grows as they do. A sentinel keeps
 * the array non-empty (C11 forbids empty initialisers). */
const conform_stage conform_stages[] = {
    {NULL, NULL, NULL},
};
const int conform_stage_count = 0;
