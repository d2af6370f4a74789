/* yaml.h: the YAML subset that detectron2 writes for a merged config
 * (block mappings, block sequences including "- - x", plain and quoted
 * scalars, flow sequences and empty {}), parsed into a cJSON tree.
 * Scalars stay strings except that numbers, true/false and null are typed.
 * Anything outside the subset is refused with the line number. */
#ifndef VCT_IO_YAML_H
#define VCT_IO_YAML_H

#include <cjson/cJSON.h>

#include "core/error.h"

vct_status yaml_parse(const char *text, const char *what, cJSON **out, vct_error *err);
vct_status yaml_read(const char *path, cJSON **out, vct_error *err);
/* "MODEL.SWIN.EMBED_DIM" -> node or NULL */
const cJSON *yaml_get(const cJSON *root, const char *dotted);
/* typed lookups: return a status naming the key when missing or of the wrong type */
vct_status yaml_get_int(const cJSON *root, const char *dotted, long *out, vct_error *err);
vct_status yaml_get_double(const cJSON *root, const char *dotted, double *out, vct_error *err);
vct_status yaml_get_str(const cJSON *root, const char *dotted, const char **out, vct_error *err);
/* a sequence of integers, at most cap entries */
vct_status yaml_get_int_list(const cJSON *root, const char *dotted, long *out, int cap, int *n, vct_error *err);

#endif
