/* image_check.h: compare a decoded or resized image with a PIL reference written by
 * tests/ref/gen_images.py (<key>/shape, then <key>/full, or <key>/sub + /rowsum +
 * /colsum for large images). Shared by test_image and test_resize. */
#ifndef VCT_TEST_IMAGE_CHECK_H
#define VCT_TEST_IMAGE_CHECK_H

#include <stdint.h>

#include "core/tensor.h"
#include "io/image.h"

/* Counts one pass or failure; prints the worst pixel on a mismatch. */
void tl_check_image_ref(const tensor_dict *d, const char *key, const image_u8 *got, int64_t stride);

#endif
