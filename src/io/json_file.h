/* json_file.h: write a cJSON tree to a file, pretty-printed with a final
 * newline, atomically (name.tmp, then rename). */
#ifndef VCT_IO_JSON_FILE_H
#define VCT_IO_JSON_FILE_H

#include <cjson/cJSON.h>

#include "core/error.h"

vct_status json_file_write(const char *path, const cJSON *root, vct_error *err);

#endif
