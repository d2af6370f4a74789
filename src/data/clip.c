/* clip.c: a clip for vct segment: frames, Maskiges and audio, read and checked; see clip.h.
 * A video is demuxed once: io/video.c reads its frames and hands the audio stream's
 * packets to audio/decode.c's stream decoder in the same pass. */
#include "data/clip.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/mel.h"
#include "audio/resample.h"
#include "core/log.h"
#include "core/str.h"
#include "io/image.h"
#include "io/video.h"

void clip_free(clip *c) {
    if (!c) return;
    for (int64_t t = 0; t < c->T; t++) {
        if (c->stem) free(c->stem[t]);
        if (c->frame) free(c->frame[t]);
        if (c->maskige) free(c->maskige[t]);
    }
    free(c->stem);
    free(c->frame);
    free(c->maskige);
    free(c->frames);
    free(c->masks);
    audio_samples_free(&c->audio);
    memset(c, 0, sizeof *c);
}

vct_clip clip_view(const clip *c) {
    vct_clip v;
    memset(&v, 0, sizeof v);
    v.T = c->T, v.H = c->H, v.W = c->W;
    v.frames = c->frames;
    v.maskige = c->masks;
    v.pcm = c->audio.data;
    v.n_samples = c->audio.n;
    v.channels = c->audio.channels;
    v.sample_rate = c->audio.sample_rate;
    return v;
}

/* the per-frame name arrays for T frames */
static vct_status alloc_names(clip *c, int64_t T, vct_error *err) {
    c->stem = calloc((size_t)T, sizeof *c->stem);
    c->frame = calloc((size_t)T, sizeof *c->frame);
    c->maskige = calloc((size_t)T, sizeof *c->maskige);
    if (!c->stem || !c->frame || !c->maskige) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    c->T = T;
    return VCT_STATUS_OK;
}

static int is_image(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".png") || !strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg") || !strcmp(dot, ".PNG") ||
                   !strcmp(dot, ".JPG") || !strcmp(dot, ".JPEG"));
}

static void free_names(char **names, int64_t n) {
    for (int64_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* the image files of dir in natural order (*names malloc'ed, each name too) */
static vct_status list_images(const char *dir, char ***names, int64_t *n, vct_error *err) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open the folder (%s)", dir, strerror(errno));
    char **v = calloc(CLIP_MAX_FRAMES, sizeof *v);
    vct_status st = v ? VCT_STATUS_OK : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    int64_t k = 0;
    struct dirent *e;
    while (st == VCT_STATUS_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !is_image(e->d_name)) continue;
        if (k == CLIP_MAX_FRAMES) st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: more than %d images", dir, CLIP_MAX_FRAMES);
        else if (!(v[k++] = strdup(e->d_name))) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    }
    closedir(d);
    if (st != VCT_STATUS_OK) {
        if (v) free_names(v, k);
        return st;
    }
    qsort(v, (size_t)k, sizeof *v, natural_cmp_ptr);
    *names = v;
    *n = k;
    return VCT_STATUS_OK;
}

static char *join(const char *dir, const char *name) { return str_printf("%s/%s", dir, name); }

/* read image `path` into slot t of buf [T,H,W,3]; every image must have the clip's size */
static vct_status read_into(clip *c, uint8_t **buf, int64_t t, const char *path, const char *kind, vct_error *err) {
    image_u8 im = {0};
    VCT_TRY(image_read_rgb(path, &im, err));
    vct_status st = VCT_STATUS_OK;
    if (c->H == 0) c->H = im.h, c->W = im.w;
    if (im.h != c->H || im.w != c->W)
        st = vct_fail(err, VCT_STATUS_SHAPE, "%s: %s of %lldx%lld (width x height), but %s is %lldx%lld: every frame and "
                      "Maskige of a clip must have one size", path, kind, (long long)im.w, (long long)im.h,
                      c->frame[0] ? c->frame[0] : "the first frame", (long long)c->W, (long long)c->H);
    if (st == VCT_STATUS_OK && !*buf && !(*buf = malloc((size_t)(c->T * c->H * c->W * 3))))
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld frames", (long long)c->T);
    if (st == VCT_STATUS_OK) memcpy(*buf + t * c->H * c->W * 3, im.data, (size_t)(c->H * c->W * 3));
    image_free(&im);
    return st;
}

static vct_status read_frames_dir(clip *c, const char *dir, vct_error *err) {
    char **names = NULL;
    int64_t n = 0;
    VCT_TRY(list_images(dir, &names, &n, err));
    vct_status st = n ? alloc_names(c, n, err) : vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no .png/.jpg frames", dir);
    for (int64_t t = 0; t < c->T && st == VCT_STATUS_OK; t++) {
        c->frame[t] = join(dir, names[t]);
        c->stem[t] = strdup(names[t]);
        if (!c->frame[t] || !c->stem[t]) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        else *strrchr(c->stem[t], '.') = '\0';
        for (int64_t u = 0; u < t && st == VCT_STATUS_OK; u++)
            if (!strcmp(c->stem[u], c->stem[t]))
                st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: frames '%s' and '%s' would write the same mask",
                              dir, names[u], names[t]);
    }
    for (int64_t t = 0; t < c->T && st == VCT_STATUS_OK; t++) st = read_into(c, &c->frames, t, c->frame[t], "frame", err);
    free_names(names, n);
    return st;
}

/* ---- a video: frames and audio in one demux pass ---------------------------------------- */

typedef struct side_audio {
    const char *path;
    audio_samples *out;
    audio_stream_decoder *dec;
} side_audio;

static vct_status side_open(void *user, struct AVFormatContext *fmt, int *stream, vct_error *err) {
    side_audio *a = user;
    return audio_stream_decoder_open(&a->dec, fmt, a->path, a->out, stream, err);
}

static vct_status side_packet(void *user, const struct AVPacket *pkt, vct_error *err) {
    side_audio *a = user;
    return audio_stream_decoder_packet(a->dec, pkt, err);
}

static vct_status side_finish(void *user, int read_rc, vct_error *err) {
    side_audio *a = user;
    return audio_stream_decoder_finish(a->dec, read_rc, err);
}

static vct_status read_video(clip *c, const char *path, vct_error *err) {
    video_read_params vp = video_read_default_params();
    video_frames v;
    side_audio a = {path, &c->audio, NULL};
    video_side_stream side = {side_open, side_packet, side_finish, &a};
    vct_status st = video_read_frames_1fps_with(path, &vp, &side, &v, err);
    audio_stream_decoder_free(a.dec);
    if (st != VCT_STATUS_OK) return st;
    if (v.T > CLIP_MAX_FRAMES)
        st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: %lld seconds, at most %d", path, (long long)v.T, CLIP_MAX_FRAMES);
    if (st == VCT_STATUS_OK) st = alloc_names(c, v.T, err);
    c->H = v.H, c->W = v.W;
    for (int64_t t = 0; t < c->T && st == VCT_STATUS_OK; t++) /* AVSS numbering: second t is frame t */
        if (!(c->stem[t] = str_printf("%lld", (long long)t))) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (st == VCT_STATUS_OK) {
        c->frames = v.data;
        v.data = NULL;
        log_info("segment: %s: %lld frame(s) of %lldx%lld at 1 fps (source %.2f fps)", path, (long long)c->T,
                 (long long)c->W, (long long)c->H, v.fps);
    }
    video_frames_free(&v);
    return st;
}

/* ---- Maskiges ------------------------------------------------------------------------------ */

/* Pair every frame with its Maskige (<stem>_mask_color.png, <stem>.png, <stem>.jpg) and
 * refuse Maskiges without a frame: a frame is missing. */
static vct_status pair_maskiges(clip *c, const char *dir, vct_error *err) {
    char **names = NULL;
    int64_t n = 0;
    VCT_TRY(list_images(dir, &names, &n, err));
    vct_status st = VCT_STATUS_OK;
    char *used = calloc((size_t)n + 1, 1);
    if (!used) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (int64_t t = 0; t < c->T && st == VCT_STATUS_OK; t++) {
        static const char *suffix[] = {"_mask_color.png", ".png", ".jpg"};
        const size_t ls = strlen(c->stem[t]);
        for (int k = 0; k < 3 && !c->maskige[t]; k++)
            for (int64_t i = 0; i < n && !c->maskige[t]; i++)
                if (strncmp(names[i], c->stem[t], ls) == 0 && strcmp(names[i] + ls, suffix[k]) == 0) {
                    if (!(c->maskige[t] = join(dir, names[i]))) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
                    used[i] = 1;
                }
        if (st == VCT_STATUS_OK && !c->maskige[t])
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no Maskige for frame '%s' (looked for %s_mask_color.png, "
                          "%s.png, %s.jpg)", dir, c->frame[t] ? c->frame[t] : c->stem[t], c->stem[t], c->stem[t],
                          c->stem[t]);
    }
    for (int64_t i = 0; i < n && st == VCT_STATUS_OK; i++)
        if (!used[i])
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s/%s: a Maskige without a frame (is a frame missing from the "
                          "%lld frames?)", dir, names[i], (long long)c->T);
    free(used);
    free_names(names, n);
    return st;
}

static vct_status read_maskiges(clip *c, const char *dir, vct_error *err) {
    if (!dir) { /* the blank fallback */
        if (!(c->masks = malloc((size_t)(c->T * c->H * c->W * 3))))
            return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        memset(c->masks, CLIP_BLANK_MASKIGE, (size_t)(c->T * c->H * c->W * 3));
        return VCT_STATUS_OK;
    }
    VCT_TRY(pair_maskiges(c, dir, err));
    for (int64_t t = 0; t < c->T; t++) VCT_TRY(read_into(c, &c->masks, t, c->maskige[t], "Maskige", err));
    return VCT_STATUS_OK;
}

/* ---- audio --------------------------------------------------------------------------------- */

/* One VGGish example per frame, counted as the library will make them (16 kHz, 0.96 s hops). */
static vct_status check_audio_length(const clip *c, const char *path, vct_error *err) {
    const int rate = c->audio.sample_rate;
    int64_t n = c->audio.n;
    if (rate != VGGISH_SAMPLE_RATE) {
        if (rate < AUDIO_RATE_MIN || rate > AUDIO_RATE_MAX)
            return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: sample rate %d Hz is outside the supported %d-%d Hz",
                            path, rate, AUDIO_RATE_MIN, AUDIO_RATE_MAX);
        n = audio_resample_length(n, rate, VGGISH_SAMPLE_RATE);
        if (n < 1)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: %lld samples are too few to resample from %d to %d Hz",
                            path, (long long)c->audio.n, rate, VGGISH_SAMPLE_RATE);
    }
    if (vggish_num_examples(n) < c->T)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%s: %.3f s of audio gives %lld VGGish example(s) (one per 0.96 s, the first needs 0.975 s), but "
                        "the clip has %lld frame(s): the audio is shorter than the clip", path,
                        (double)n / VGGISH_SAMPLE_RATE, (long long)vggish_num_examples(n), (long long)c->T);
    return VCT_STATUS_OK;
}

vct_status clip_read(clip *c, const clip_params *p, vct_error *err) {
    memset(c, 0, sizeof *c);
    if (!p->video_path == !p->frames_dir || (p->frames_dir && !p->audio_path) || (p->video_path && p->audio_path))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "clip: a video, or a folder of frames with an audio file");
    const char *audio = p->video_path ? p->video_path : p->audio_path;
    if (p->video_path) VCT_TRY(read_video(c, p->video_path, err));
    else VCT_TRY(read_frames_dir(c, p->frames_dir, err));
    VCT_TRY(read_maskiges(c, p->maskige_dir, err));
    if (!p->video_path) VCT_TRY(audio_decode_samples(p->audio_path, NULL, &c->audio, err));
    return check_audio_length(c, audio, err);
}
