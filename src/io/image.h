/* image.h: read PNG/JPEG into 8-bit pixels exactly as PIL does, write PNG.
 *
 * image_read_rgb() gives what `np.asarray(Image.open(p).convert('RGB'))` gives in
 * Debian 12's python3-pil (Pillow 9.4, libjpeg-turbo 2.1) - bit for bit:
 *  - PNG (libpng, no gamma/colour management, like PIL):
 *      RGB/RGBA 8-bit: as stored, alpha dropped; 16-bit: the high byte of each sample;
 *      gray 1/2/4/8-bit: level scaled to 0..255 (x255, x85, x17, x1) and replicated;
 *      gray 16-bit: PIL opens it as mode "I" and convert('RGB') clips, so min(v, 255);
 *      gray+alpha: gray (16-bit: high byte); tRNS ignored;
 *      palette: PLTE colour of each index; an index past the end of PLTE reads as
 *      (i, i, i) (PIL's palette starts as a gray ramp); Adam7 interlace supported.
 *  - JPEG (libjpeg, default ISLOW DCT and fancy upsampling, as PIL's decoder sets it):
 *      3 components -> libjpeg's RGB output; 1 -> gray replicated; 4 (CMYK/YCCK) ->
 *      PIL's rule: treat as Adobe-inverted CMYK, then r = nk - nk*c/255 (rounded as
 *      PIL's MULDIV255), nk = 255 - k. A JPEG that ends early is an error (PIL:
 *      "image file is truncated"); other libjpeg warnings are ignored, as PIL does.
 *      EXIF orientation is not applied (Image.open does not either).
 *  The format is detected from the first bytes, not the file name.
 *
 * image_read_index() gives `np.asarray(Image.open(p))` for single-channel files:
 * palette indices (P) or gray levels (L; 1/2/4-bit scaled to 0..255) - label and
 * Maskige id maps. Other layouts are refused (VCT_STATUS_UNSUPPORTED).
 *
 * image_write_png() writes RGB (c = 3), gray (c = 1) or, with a palette, indexed
 * PNG, atomically (name.tmp then rename).
 *
 * Layout everywhere: HWC, row-major, uint8, no padding. */
#ifndef VCT_IO_IMAGE_H
#define VCT_IO_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct image_u8 {
    uint8_t *data; /* [h, w, c], malloc'ed, owned */
    int64_t h, w, c;
} image_u8;

/* Largest image accepted (pixels); bigger files are refused as unsupported. */
#define IMAGE_MAX_PIXELS ((int64_t)1 << 28)

/* Allocate data for h x w x c (contents undefined). out is overwritten, not freed. */
vct_status image_alloc(image_u8 *out, int64_t h, int64_t w, int64_t c, vct_error *err);
void image_free(image_u8 *im); /* frees data and zeroes the struct; NULL-safe */

/* Decode path to RGB (out->c = 3). out is overwritten (not freed first). */
vct_status image_read_rgb(const char *path, image_u8 *out, vct_error *err);
/* Same from memory; name is used in messages only. */
vct_status image_decode_rgb(const void *data, size_t n, const char *name, image_u8 *out,
                            vct_error *err);

/* Decode a single-channel PNG/JPEG (palette indices or gray levels), out->c = 1. */
vct_status image_read_index(const char *path, image_u8 *out, vct_error *err);
vct_status image_decode_index(const void *data, size_t n, const char *name, image_u8 *out,
                              vct_error *err);

/* Write im as PNG. c = 3: RGB; c = 1 and palette == NULL: 8-bit gray; c = 1 and
 * palette != NULL: indexed, palette = palette_n RGB triplets (1..256 entries; every
 * index in im must be < palette_n). Atomic: path.tmp, then rename. */
vct_status image_write_png(const char *path, const image_u8 *im, const uint8_t *palette,
                           int palette_n, vct_error *err);

#endif
