/* image.c: PNG (libpng) and JPEG (libjpeg) decoding with PIL's conversion rules, and
 * atomic PNG writing. See image.h for the exact rules.
 *
 * libpng and libjpeg report fatal errors by longjmp. Each codec runs in a "job":
 * a struct that owns every resource, a tiny function that only calls setjmp and then
 * the worker, and a cleanup that frees whatever the job holds. No local variable of
 * the setjmp frame changes after setjmp, so nothing is indeterminate after a jump. */
#include "io/image.h"

#include <errno.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "io/atomic_file.h"

vct_status image_alloc(image_u8 *out, int64_t h, int64_t w, int64_t c, vct_error *err) {
    memset(out, 0, sizeof *out);
    if (h <= 0 || w <= 0 || c <= 0 || h * w > IMAGE_MAX_PIXELS || c > 4)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "bad image size %lldx%lldx%lld",
                        (long long)h, (long long)w, (long long)c);
    out->data = malloc((size_t)(h * w * c));
    if (!out->data)
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for a %lldx%lld image",
                        (long long)w, (long long)h);
    out->h = h;
    out->w = w;
    out->c = c;
    return VCT_STATUS_OK;
}

void image_free(image_u8 *im) {
    if (!im) return;
    free(im->data);
    memset(im, 0, sizeof *im);
}

static vct_status read_whole_file(const char *path, uint8_t **buf, size_t *n, vct_error *err) {
    *buf = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    vct_status st = VCT_STATUS_OK;
    size_t cap = 1 << 16, len = 0;
    uint8_t *b = malloc(cap);
    if (!b) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    for (;;) {
        if (len == cap) {
            if (cap > ((size_t)1 << 32)) {
                st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: file larger than 4 GiB", path);
                goto fail;
            }
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
                goto fail;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        st = vct_fail(err, VCT_STATUS_IO, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    *buf = b;
    *n = len;
    return VCT_STATUS_OK;
fail:
    free(b);
    fclose(f);
    return st;
}

/* copy a message, truncating it to fit */
static void copy_msg(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* ------------------------------------------------------------------------------ PNG */

enum { WANT_RGB = 0, WANT_INDEX = 1 };

typedef struct png_job {
    const uint8_t *buf;
    size_t n, pos;
    int want;
    png_structp png;
    png_infop info;
    uint8_t *raw;    /* decoded rows after libpng transforms */
    png_bytep *rows; /* row pointers into raw */
    image_u8 out;
    vct_status st; /* set by the worker for non-libpng failures */
    char msg[256];
    jmp_buf jb;
} png_job;

static void png_job_error(png_structp png, png_const_charp msg) {
    png_job *j = png_get_error_ptr(png);
    copy_msg(j->msg, sizeof j->msg, msg);
    longjmp(j->jb, 1);
}

static void png_job_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* PIL ignores what libpng would warn about (bad ancillary chunks, ...) */
}

static void png_job_read(png_structp png, png_bytep dst, size_t len) {
    png_job *j = png_get_io_ptr(png);
    if (j->n - j->pos < len) png_error(png, "file is truncated");
    memcpy(dst, j->buf + j->pos, len);
    j->pos += len;
}

static int png_job_fail(png_job *j, vct_status st, const char *msg) {
    j->st = st;
    copy_msg(j->msg, sizeof j->msg, msg);
    return -1;
}

/* The worker: may longjmp out through png_job_error. */
static int png_job_work(png_job *j) {
    j->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, j, png_job_error, png_job_warning);
    if (!j->png) return png_job_fail(j, VCT_STATUS_NO_MEMORY, "out of memory");
    j->info = png_create_info_struct(j->png);
    if (!j->info) return png_job_fail(j, VCT_STATUS_NO_MEMORY, "out of memory");
    png_set_read_fn(j->png, j, png_job_read);
    png_set_benign_errors(j->png, 1);
    png_read_info(j->png, j->info);

    png_uint_32 W = 0, H = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(j->png, j->info, &W, &H, &bit_depth, &color_type, &interlace, NULL, NULL);
    if ((int64_t)W * (int64_t)H > IMAGE_MAX_PIXELS) {
        char m[128];
        snprintf(m, sizeof m, "image of %ux%u pixels is too large", (unsigned)W, (unsigned)H);
        return png_job_fail(j, VCT_STATUS_UNSUPPORTED, m);
    }
    if (j->want == WANT_INDEX &&
        !(color_type == PNG_COLOR_TYPE_PALETTE || (color_type == PNG_COLOR_TYPE_GRAY && bit_depth <= 8))) {
        char m[160];
        snprintf(m, sizeof m,
                 "not a single-channel image (PNG colour type %d, bit depth %d); expected palette or "
                 "8-bit gray",
                 color_type, bit_depth);
        return png_job_fail(j, VCT_STATUS_UNSUPPORTED, m);
    }

    /* transforms: every layout becomes 1 or 3 samples of 8 bits per pixel, except
     * 16-bit gray which stays 16 bits (PIL clips it rather than taking the high byte) */
    int gray16 = color_type == PNG_COLOR_TYPE_GRAY && bit_depth == 16;
    if (color_type == PNG_COLOR_TYPE_PALETTE && bit_depth < 8) png_set_packing(j->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(j->png);
    if (bit_depth == 16 && !gray16) png_set_strip_16(j->png);
    if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(j->png);
    png_set_interlace_handling(j->png);
    png_read_update_info(j->png, j->info);

    size_t rowbytes = png_get_rowbytes(j->png, j->info);
    int channels = png_get_channels(j->png, j->info);
    size_t want_rowbytes = (size_t)W * (size_t)channels * (gray16 ? 2 : 1);
    if (rowbytes != want_rowbytes || !(channels == 1 || channels == 3))
        return png_job_fail(j, VCT_STATUS_INTERNAL, "unexpected libpng row layout");
    j->raw = malloc(rowbytes * H);
    j->rows = malloc(sizeof *j->rows * H);
    if (!j->raw || !j->rows) return png_job_fail(j, VCT_STATUS_NO_MEMORY, "out of memory");
    for (png_uint_32 y = 0; y < H; y++) j->rows[y] = j->raw + (size_t)y * rowbytes;
    png_read_image(j->png, j->rows);
    /* like PIL, nothing after the image data (trailing chunks, IEND) is required */

    int64_t C = j->want == WANT_INDEX ? 1 : 3;
    vct_error e = {0};
    if (image_alloc(&j->out, H, W, C, &e) != VCT_STATUS_OK) return png_job_fail(j, e.status, e.msg);
    uint8_t *o = j->out.data;
    size_t npix = (size_t)W * H;
    if (j->want == WANT_INDEX || channels == 3) {
        memcpy(o, j->raw, npix * (size_t)C);
    } else if (color_type == PNG_COLOR_TYPE_PALETTE) {
        uint8_t lut[256][3];
        for (int i = 0; i < 256; i++) lut[i][0] = lut[i][1] = lut[i][2] = (uint8_t)i;
        png_colorp plte = NULL;
        int nplte = 0;
        if (png_get_PLTE(j->png, j->info, &plte, &nplte) & PNG_INFO_PLTE) {
            for (int i = 0; i < nplte && i < 256; i++) {
                lut[i][0] = plte[i].red;
                lut[i][1] = plte[i].green;
                lut[i][2] = plte[i].blue;
            }
        }
        for (size_t i = 0; i < npix; i++) memcpy(o + 3 * i, lut[j->raw[i]], 3);
    } else if (gray16) {
        for (size_t i = 0; i < npix; i++) {
            unsigned v = ((unsigned)j->raw[2 * i] << 8) | j->raw[2 * i + 1];
            o[3 * i] = o[3 * i + 1] = o[3 * i + 2] = (uint8_t)(v > 255 ? 255 : v);
        }
    } else {
        for (size_t i = 0; i < npix; i++) o[3 * i] = o[3 * i + 1] = o[3 * i + 2] = j->raw[i];
    }
    return 0;
}

static int png_job_run(png_job *j) {
    if (setjmp(j->jb)) return -1;
    png_job_work(j);
    return 0;
}

static vct_status png_decode(const uint8_t *buf, size_t n, const char *name, int want, image_u8 *out,
                             vct_error *err) {
    png_job *j = calloc(1, sizeof *j);
    if (!j) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", name);
    j->buf = buf;
    j->n = n;
    j->want = want;
    vct_status st = VCT_STATUS_OK;
    if (png_job_run(j) != 0) st = vct_fail(err, VCT_STATUS_FORMAT, "%s: PNG: %s", name, j->msg);
    else if (j->st != VCT_STATUS_OK) st = vct_fail(err, j->st, "%s: PNG: %s", name, j->msg);
    if (j->png) png_destroy_read_struct(&j->png, j->info ? &j->info : NULL, NULL);
    free(j->raw);
    free(j->rows);
    if (st == VCT_STATUS_OK) *out = j->out;
    else image_free(&j->out);
    free(j);
    return st;
}

/* ------------------------------------------------------------------------------ JPEG */

typedef struct jpeg_job {
    const uint8_t *buf;
    size_t n;
    int want;
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    int created, truncated;
    uint8_t *row; /* one output scanline */
    image_u8 out;
    vct_status st;
    char msg[JMSG_LENGTH_MAX + 64];
    jmp_buf jb;
} jpeg_job;

static jpeg_job *jpeg_job_of(j_common_ptr cinfo) {
    return (jpeg_job *)((char *)cinfo - offsetof(jpeg_job, cinfo));
}

static void jpeg_job_error_exit(j_common_ptr cinfo) {
    jpeg_job *j = jpeg_job_of(cinfo);
    (*cinfo->err->format_message)(cinfo, j->msg);
    longjmp(j->jb, 1);
}

static void jpeg_job_emit(j_common_ptr cinfo, int level) {
    /* warnings (level -1): PIL ignores them all, except that running out of data is
     * "image file is truncated" there (its source suspends instead of faking an EOI) */
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_job_of(cinfo)->truncated = 1;
}

static void jpeg_job_output(j_common_ptr cinfo) { (void)cinfo; }

static int jpeg_job_fail(jpeg_job *j, vct_status st, const char *msg) {
    j->st = st;
    copy_msg(j->msg, sizeof j->msg, msg);
    return -1;
}

/* PIL's MULDIV255: a*b/255 rounded, in integers */
static inline int muldiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

static int jpeg_job_work(jpeg_job *j) {
    j->cinfo.err = jpeg_std_error(&j->jerr);
    j->jerr.error_exit = jpeg_job_error_exit;
    j->jerr.emit_message = jpeg_job_emit;
    j->jerr.output_message = jpeg_job_output;
    jpeg_create_decompress(&j->cinfo);
    j->created = 1;
    jpeg_mem_src(&j->cinfo, (const unsigned char *)j->buf, (unsigned long)j->n);
    jpeg_read_header(&j->cinfo, TRUE);
    if (j->truncated) return jpeg_job_fail(j, VCT_STATUS_FORMAT, "file is truncated");

    int nc = j->cinfo.num_components;
    if (nc == 1) j->cinfo.out_color_space = JCS_GRAYSCALE;
    else if (nc == 3) j->cinfo.out_color_space = JCS_RGB;
    else if (nc == 4) j->cinfo.out_color_space = JCS_CMYK;
    else {
        char m[64];
        snprintf(m, sizeof m, "cannot handle %d-component images", nc);
        return jpeg_job_fail(j, VCT_STATUS_UNSUPPORTED, m);
    }
    if (j->want == WANT_INDEX && nc != 1)
        return jpeg_job_fail(j, VCT_STATUS_UNSUPPORTED,
                             "not a single-channel image (colour JPEG); expected grayscale");
    /* PIL leaves libjpeg's defaults: JDCT_ISLOW, fancy upsampling, no block smoothing
     * override, scale 1/1; set them explicitly so a changed default cannot drift. */
    j->cinfo.dct_method = JDCT_ISLOW;
    j->cinfo.do_fancy_upsampling = TRUE;
    j->cinfo.scale_num = 1;
    j->cinfo.scale_denom = 1;

    int64_t W = j->cinfo.image_width, H = j->cinfo.image_height;
    if (W * H > IMAGE_MAX_PIXELS) {
        char m[128];
        snprintf(m, sizeof m, "image of %lldx%lld pixels is too large", (long long)W, (long long)H);
        return jpeg_job_fail(j, VCT_STATUS_UNSUPPORTED, m);
    }
    jpeg_start_decompress(&j->cinfo);
    if ((int64_t)j->cinfo.output_width != W || (int64_t)j->cinfo.output_height != H ||
        j->cinfo.output_components != nc)
        return jpeg_job_fail(j, VCT_STATUS_INTERNAL, "unexpected libjpeg output layout");

    int64_t C = j->want == WANT_INDEX ? 1 : 3;
    vct_error e = {0};
    if (image_alloc(&j->out, H, W, C, &e) != VCT_STATUS_OK) return jpeg_job_fail(j, e.status, e.msg);
    j->row = malloc((size_t)W * (size_t)nc);
    if (!j->row) return jpeg_job_fail(j, VCT_STATUS_NO_MEMORY, "out of memory");
    while (j->cinfo.output_scanline < j->cinfo.output_height) {
        int64_t y = j->cinfo.output_scanline;
        JSAMPROW rp = j->row;
        if (jpeg_read_scanlines(&j->cinfo, &rp, 1) != 1)
            return jpeg_job_fail(j, VCT_STATUS_FORMAT, "file is truncated");
        uint8_t *o = j->out.data + y * W * C;
        const uint8_t *r = j->row;
        if (nc == C) {
            memcpy(o, r, (size_t)(W * C));
        } else if (nc == 1) {
            for (int64_t x = 0; x < W; x++) o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = r[x];
        } else { /* CMYK, stored inverted (Adobe): PIL unpacks "CMYK;I" then cmyk2rgb */
            for (int64_t x = 0; x < W; x++) {
                int nk = r[4 * x + 3]; /* 255 - k with k = 255 - stored */
                for (int ch = 0; ch < 3; ch++) {
                    int v = nk - muldiv255(255 - r[4 * x + ch], nk);
                    o[3 * x + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
        }
    }
    /* all scanlines are in; a missing EOI after them is fine for PIL, so check the
     * truncation flag now and do not read further (no jpeg_finish_decompress) */
    if (j->truncated) return jpeg_job_fail(j, VCT_STATUS_FORMAT, "file is truncated");
    return 0;
}

static int jpeg_job_run(jpeg_job *j) {
    if (setjmp(j->jb)) return -1;
    jpeg_job_work(j);
    return 0;
}

static vct_status jpeg_decode(const uint8_t *buf, size_t n, const char *name, int want, image_u8 *out,
                              vct_error *err) {
    jpeg_job *j = calloc(1, sizeof *j);
    if (!j) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", name);
    j->buf = buf;
    j->n = n;
    j->want = want;
    vct_status st = VCT_STATUS_OK;
    if (jpeg_job_run(j) != 0) st = vct_fail(err, VCT_STATUS_FORMAT, "%s: JPEG: %s", name, j->msg);
    else if (j->st != VCT_STATUS_OK) st = vct_fail(err, j->st, "%s: JPEG: %s", name, j->msg);
    if (j->created) jpeg_destroy_decompress(&j->cinfo);
    free(j->row);
    if (st == VCT_STATUS_OK) *out = j->out;
    else image_free(&j->out);
    free(j);
    return st;
}

/* ------------------------------------------------------------------------------ dispatch */

static vct_status image_decode(const void *data, size_t n, const char *name, int want, image_u8 *out,
                               vct_error *err) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint8_t *b = data;
    memset(out, 0, sizeof *out);
    if (n == 0) return vct_fail(err, VCT_STATUS_FORMAT, "%s: empty file, not an image", name);
    if (n >= 8 && memcmp(b, png_sig, 8) == 0) return png_decode(b, n, name, want, out, err);
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return jpeg_decode(b, n, name, want, out, err);
    return vct_fail(err, VCT_STATUS_FORMAT,
                    "%s: not a PNG or JPEG file (first bytes %02x %02x %02x %02x)", name, b[0],
                    n > 1 ? b[1] : 0, n > 2 ? b[2] : 0, n > 3 ? b[3] : 0);
}

vct_status image_decode_rgb(const void *data, size_t n, const char *name, image_u8 *out,
                            vct_error *err) {
    return image_decode(data, n, name, WANT_RGB, out, err);
}

vct_status image_decode_index(const void *data, size_t n, const char *name, image_u8 *out,
                              vct_error *err) {
    return image_decode(data, n, name, WANT_INDEX, out, err);
}

static vct_status image_read(const char *path, int want, image_u8 *out, vct_error *err) {
    uint8_t *buf = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    VCT_TRY(read_whole_file(path, &buf, &n, err));
    vct_status st = image_decode(buf, n, path, want, out, err);
    free(buf);
    return st;
}

vct_status image_read_rgb(const char *path, image_u8 *out, vct_error *err) {
    return image_read(path, WANT_RGB, out, err);
}

vct_status image_read_index(const char *path, image_u8 *out, vct_error *err) {
    return image_read(path, WANT_INDEX, out, err);
}

/* ------------------------------------------------------------------------------ PNG write */

typedef struct png_wjob {
    const image_u8 *im;
    const uint8_t *palette;
    int palette_n;
    FILE *f;
    png_structp png;
    png_infop info;
    png_bytep *rows;
    vct_status st;
    char msg[256];
    jmp_buf jb;
} png_wjob;

static void png_wjob_error(png_structp png, png_const_charp msg) {
    png_wjob *j = png_get_error_ptr(png);
    copy_msg(j->msg, sizeof j->msg, msg);
    longjmp(j->jb, 1);
}

static void png_wjob_work(png_wjob *j) {
    const image_u8 *im = j->im;
    j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, j, png_wjob_error, png_job_warning);
    if (!j->png) {
        j->st = VCT_STATUS_NO_MEMORY;
        snprintf(j->msg, sizeof j->msg, "out of memory");
        return;
    }
    j->info = png_create_info_struct(j->png);
    if (!j->info) {
        j->st = VCT_STATUS_NO_MEMORY;
        snprintf(j->msg, sizeof j->msg, "out of memory");
        return;
    }
    png_init_io(j->png, j->f);
    int color_type = im->c == 3 ? PNG_COLOR_TYPE_RGB
                     : j->palette ? PNG_COLOR_TYPE_PALETTE
                                  : PNG_COLOR_TYPE_GRAY;
    png_set_IHDR(j->png, j->info, (png_uint_32)im->w, (png_uint_32)im->h, 8, color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (j->palette) {
        png_color plte[256];
        for (int i = 0; i < j->palette_n; i++) {
            plte[i].red = j->palette[3 * i];
            plte[i].green = j->palette[3 * i + 1];
            plte[i].blue = j->palette[3 * i + 2];
        }
        png_set_PLTE(j->png, j->info, plte, j->palette_n);
    }
    j->rows = malloc(sizeof *j->rows * (size_t)im->h);
    if (!j->rows) {
        j->st = VCT_STATUS_NO_MEMORY;
        snprintf(j->msg, sizeof j->msg, "out of memory");
        return;
    }
    for (int64_t y = 0; y < im->h; y++) j->rows[y] = im->data + y * im->w * im->c;
    png_write_info(j->png, j->info);
    png_write_image(j->png, j->rows);
    png_write_end(j->png, NULL);
}

static int png_wjob_run(png_wjob *j) {
    if (setjmp(j->jb)) return -1;
    png_wjob_work(j);
    return 0;
}

vct_status image_write_png(const char *path, const image_u8 *im, const uint8_t *palette,
                           int palette_n, vct_error *err) {
    if (!im || !im->data || im->h <= 0 || im->w <= 0 || im->h > 0x7fffffff || im->w > 0x7fffffff)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: cannot write an empty image", path);
    if (!(im->c == 3 || im->c == 1))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%s: PNG output needs 1 or 3 channels, got %lld", path, (long long)im->c);
    if (palette) {
        if (im->c != 1)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                            "%s: a palette PNG needs a 1-channel index image, got %lld channels",
                            path, (long long)im->c);
        if (palette_n < 1 || palette_n > 256)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                            "%s: palette has %d entries, expected 1..256", path, palette_n);
        int64_t n = im->h * im->w;
        for (int64_t i = 0; i < n; i++)
            if (im->data[i] >= palette_n)
                return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                                "%s: index %d at pixel (%lld, %lld) is past the %d-entry palette",
                                path, im->data[i], (long long)(i / im->w), (long long)(i % im->w),
                                palette_n);
    }
    atomic_file af;
    VCT_TRY(atomic_file_open(&af, path, err));
    png_wjob *j = calloc(1, sizeof *j);
    if (!j) {
        atomic_file_abort(&af);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    j->im = im;
    j->palette = palette;
    j->palette_n = palette_n;
    j->f = af.f;
    vct_status st = VCT_STATUS_OK;
    if (png_wjob_run(j) != 0) st = vct_fail(err, VCT_STATUS_IO, "%s: PNG write: %s", path, j->msg);
    else if (j->st != VCT_STATUS_OK) st = vct_fail(err, j->st, "%s: PNG write: %s", path, j->msg);
    if (j->png) png_destroy_write_struct(&j->png, j->info ? &j->info : NULL);
    free(j->rows);
    free(j);
    if (st != VCT_STATUS_OK) {
        atomic_file_abort(&af);
        return st;
    }
    return atomic_file_commit(&af, err);
}
