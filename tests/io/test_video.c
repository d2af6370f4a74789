/* test_video.c: 1-fps frame sampling (video_read_frames_1fps); see docs/frames.md §5.
 *
 * The test makes its own short videos with the FFmpeg libraries' encoders (no external
 * tool): FFV1 (lossless, packed RGB) in Matroska, MPEG-4 part 2 with B-frames in AVI and MP4,
 * MJPEG (full range), a BT.709-tagged stream, H.264 with B-frames (if the build has libx264),
 * at 24, 25, 29.97 and 30 fps with odd frame sizes, with and without an audio track, and
 * variable-rate timelines (late start, gaps, bursts). Every frame carries its own number in
 * its pixels, so for constant-rate files the test reads back which frame was chosen for each
 * second and compares it with AVSBench's rule n_l = int(l*F + 15/16*F), F = round(fps),
 * clamped to the last frame (preprocess_scripts/preprocess_s4.py), written out again here.
 * If `ffmpeg` is on PATH, the chosen frames, and every frame of the constant-rate sequence,
 * must equal byte for byte the output of `ffmpeg -i f -f image2pipe -pix_fmt rgb24 -vcodec
 * rawvideo -` - the command imageio (which AVSBench used) runs; without ffmpeg that check is
 * skipped, saying so.
 * Broken inputs (text file, empty file, audio-only file, truncated videos, missing file)
 * must fail with a message naming the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>

#include "io/video.h"
#include "testlib.h"

static char tmpdir[256];

static void tmp_file(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/vct_test_video_%ld_%s", tmpdir, (long)getpid(), name);
}

/* ------------------------------------------------------------------ making test videos */

/* frame j's pixel pattern */
static void fill_rgb(AVFrame *f, int64_t j) { /* BGR0, packed: B, G, R, unused */
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            uint8_t *p = f->data[0] + y * f->linesize[0] + 4 * x;
            p[2] = (uint8_t)((j + 3 * x + 5 * y) & 255);
            p[1] = (uint8_t)(((j >> 8) + 7 * x) & 255);
            p[0] = (uint8_t)((11 * y + 2 * x + 13 * j) & 255);
            p[3] = 0;
        }
}

static void fill_yuv_stripes(AVFrame *f, int64_t j) { /* 8 vertical stripes = bits of j */
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            int bit = (int)((j >> (x * 8 / f->width)) & 1);
            f->data[0][y * f->linesize[0] + x] = bit ? 235 : 16;
        }
    /* colour (+-30 around neutral) so that the colour matrix matters; small enough that
     * the stripes stay clearly dark or light */
    int cw = f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P ? (f->width + 1) / 2 : f->width;
    int ch = f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P ? (f->height + 1) / 2 : f->height;
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            f->data[1][y * f->linesize[1] + x] = (uint8_t)(98 + (x * 7 + y * 3) % 61);
            f->data[2][y * f->linesize[2] + x] = (uint8_t)(98 + (x * 5 + y * 11) % 61);
        }
}

static int encode_and_write(AVFormatContext *oc, AVCodecContext *c, AVStream *st, AVFrame *fr, AVPacket *pkt) {
    int rc = avcodec_send_frame(c, fr);
    if (rc < 0) return rc;
    for (;;) {
        rc = avcodec_receive_packet(c, pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return 0;
        if (rc < 0) return rc;
        av_packet_rescale_ts(pkt, c->time_base, st->time_base);
        pkt->stream_index = st->index;
        rc = av_interleaved_write_frame(oc, pkt);
        if (rc < 0) return rc;
    }
}

typedef struct vopts {
    const char *muxer;
    enum AVCodecID codec;
    enum AVPixelFormat pix;
    int W, H;
    AVRational rate;
    int64_t nframes;
    int bframes;              /* mpeg4 / h264: B-frames (decoder reordering) */
    int audio;                /* add a 16 kHz PCM audio stream from t = 0 */
    int start_ms;             /* first video timestamp (ms; needs ms_timebase) */
    int vfr;                  /* 1: every 7th frame missing, some 9 ms late; 2: frames in bursts of
                                 three, 3 ms apart (needs ms_timebase) */
    int ms_timebase;          /* encoder time base 1/1000 instead of 1/rate */
    enum AVColorSpace cs;     /* colour matrix tag (0: unspecified) */
    enum AVColorRange range;  /* colour range tag (0: unspecified) */
    int faststart;            /* mp4: index (moov) at the front, as streaming sites serve it */
} vopts;

static int aenc_caps(const AVCodecContext *c) { return c->codec ? c->codec->capabilities : 0; }

/* Returns 0 on success, 1 if this build has no such encoder/muxer, -1 on failure (printed). */
static int make_video(const char *path, const vopts *o) {
    AVFormatContext *oc = NULL;
    AVCodecContext *c = NULL, *ac = NULL;
    AVFrame *fr = NULL, *af = NULL;
    AVPacket *pkt = NULL;
    int rc = avformat_alloc_output_context2(&oc, NULL, o->muxer, path);
    const AVCodec *enc = avcodec_find_encoder(o->codec);
    if (o->codec == AV_CODEC_ID_H264) enc = avcodec_find_encoder_by_name("libx264");
    if (rc < 0 || !oc || !enc) {
        printf("  make_video %s: no %s muxer or %s encoder in this FFmpeg build\n", path, o->muxer,
               avcodec_get_name(o->codec));
        avformat_free_context(oc);
        return 1;
    }
    AVStream *st = avformat_new_stream(oc, NULL), *ast = NULL;
    c = avcodec_alloc_context3(enc);
    fr = av_frame_alloc();
    pkt = av_packet_alloc();
    if (!st || !c || !fr || !pkt) {
        rc = AVERROR(ENOMEM);
        goto done;
    }
    c->width = o->W;
    c->height = o->H;
    c->pix_fmt = o->pix;
    c->time_base = o->ms_timebase ? (AVRational){1, 1000} : av_inv_q(o->rate);
    c->framerate = o->rate;
    c->gop_size = 12;
    c->max_b_frames = o->bframes;
    if (o->cs) c->colorspace = o->cs;
    if (o->range) c->color_range = o->range;
    if (o->codec == AV_CODEC_ID_MPEG4 || o->codec == AV_CODEC_ID_MJPEG) {
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * 2;
    }
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    rc = avcodec_open2(c, enc, NULL);
    if (rc < 0) goto done;
    rc = avcodec_parameters_from_context(st->codecpar, c);
    if (rc < 0) goto done;
    st->time_base = c->time_base;
    st->avg_frame_rate = o->rate;
    if (o->audio) {
        /* PCM where the container takes it; MP4 needs a compressed codec (AAC, float planar) */
        const AVCodec *aenc = avcodec_find_encoder(strcmp(o->muxer, "mp4") == 0 ? AV_CODEC_ID_AAC : AV_CODEC_ID_PCM_S16LE);
        ast = avformat_new_stream(oc, NULL);
        ac = aenc ? avcodec_alloc_context3(aenc) : NULL;
        af = av_frame_alloc();
        if (!ast || !ac || !af) {
            rc = AVERROR(ENOMEM);
            goto done;
        }
        ac->sample_fmt = aenc->sample_fmts ? aenc->sample_fmts[0] : AV_SAMPLE_FMT_S16;
        ac->sample_rate = 16000;
        av_channel_layout_default(&ac->ch_layout, 1);
        ac->time_base = (AVRational){1, 16000};
        rc = avcodec_open2(ac, aenc, NULL);
        if (rc < 0) goto done;
        rc = avcodec_parameters_from_context(ast->codecpar, ac);
        if (rc < 0) goto done;
        ast->time_base = ac->time_base;
    }
    rc = avio_open(&oc->pb, path, AVIO_FLAG_WRITE);
    if (rc < 0) goto done;
    AVDictionary *mux_opts = NULL;
    if (o->faststart) av_dict_set(&mux_opts, "movflags", "+faststart", 0);
    rc = avformat_write_header(oc, &mux_opts);
    av_dict_free(&mux_opts);
    if (rc < 0) goto done;
    fr->format = o->pix;
    fr->width = o->W;
    fr->height = o->H;
    rc = av_frame_get_buffer(fr, 0);
    if (rc < 0) goto done;
    double period_ms = 1000.0 / av_q2d(o->rate);
    for (int64_t j = 0; j < o->nframes; j++) {
        if (o->vfr == 1 && j % 7 == 3) continue;
        rc = av_frame_make_writable(fr);
        if (rc < 0) goto done;
        if (o->pix == AV_PIX_FMT_BGR0) fill_rgb(fr, j);
        else fill_yuv_stripes(fr, j);
        if (o->vfr == 2) fr->pts = o->start_ms + llrint((double)(j - j % 3) * period_ms) + 3 * (j % 3);
        else if (o->ms_timebase) fr->pts = o->start_ms + llrint(j * period_ms) + (o->vfr && j % 3 == 1 ? 9 : 0);
        else fr->pts = j;
        rc = encode_and_write(oc, c, st, fr, pkt);
        if (rc < 0) goto done;
    }
    rc = encode_and_write(oc, c, st, NULL, pkt);
    if (rc < 0) goto done;
    if (o->audio) { /* as long as the video */
        int64_t total = (int64_t)(16000.0 * (double)o->nframes / av_q2d(o->rate));
        int step = ac->frame_size > 0 ? ac->frame_size : 1600;
        for (int64_t t = 0; t < total; t += step) {
            af->format = ac->sample_fmt;
            af->sample_rate = 16000;
            av_channel_layout_default(&af->ch_layout, 1);
            af->nb_samples = (int)(total - t < step ? total - t : step);
            if (ac->frame_size > 0 && !(aenc_caps(ac) & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) && t + step > total)
                break; /* fixed-size codec: drop the short tail */
            rc = av_frame_get_buffer(af, 0);
            if (rc < 0) goto done;
            for (int i = 0; i < af->nb_samples; i++) {
                double v = 0.12 * sin((double)(t + i) * 0.05);
                if (ac->sample_fmt == AV_SAMPLE_FMT_FLTP) ((float *)af->data[0])[i] = (float)v;
                else ((int16_t *)af->data[0])[i] = (int16_t)(32767.0 * v);
            }
            af->pts = t;
            rc = encode_and_write(oc, ac, ast, af, pkt);
            av_frame_unref(af);
            if (rc < 0) goto done;
        }
        rc = encode_and_write(oc, ac, ast, NULL, pkt);
        if (rc < 0) goto done;
    }
    rc = av_write_trailer(oc);
done:
    if (rc < 0) {
        char eb[128];
        av_strerror(rc, eb, sizeof eb);
        printf("  make_video %s: %s\n", path, eb);
    }
    if (oc && oc->pb) avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&c);
    avcodec_free_context(&ac);
    av_frame_free(&fr);
    av_frame_free(&af);
    av_packet_free(&pkt);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ reading frames back */

/* frame number from an RGB frame of the FFV1 pattern, or -1 if the pixels are not exact */
static int64_t ident_rgb(const uint8_t *rgb, int W, int H) {
    int64_t j = rgb[0] | ((int64_t)rgb[1] << 8);
    /* low byte from R(0,0); high byte from G(0,0); then verify every pixel */
    for (int64_t cand = j & 255; cand < 65536; cand += 256) {
        if (((cand >> 8) & 255) != rgb[1]) continue;
        int ok = 1;
        for (int y = 0; y < H && ok; y++)
            for (int x = 0; x < W && ok; x++) {
                const uint8_t *p = rgb + ((size_t)y * W + x) * 3;
                ok = p[0] == ((cand + 3 * x + 5 * y) & 255) && p[1] == (((cand >> 8) + 7 * x) & 255) &&
                     p[2] == ((11 * y + 2 * x + 13 * cand) & 255);
            }
        return ok ? cand : -1;
    }
    return -1;
}

/* frame number from the stripe pattern (lossy): centre pixel of each stripe, middle row */
static int64_t ident_stripes(const uint8_t *rgb, int W, int H) {
    int64_t j = 0;
    for (int k = 0; k < 8; k++) {
        int x = (int)(((2 * k + 1) * (int64_t)W) / 16);
        const uint8_t *p = rgb + ((size_t)(H / 2) * W + x) * 3;
        int v = (p[0] + p[1] + p[2]) / 3;
        if (v > 170) j |= (int64_t)1 << k;
        else if (v > 85) return -1; /* ambiguous */
    }
    return j;
}

/* AVSBench: frame_interval = int(round(fps)); n = int(l*fi + (15/16)*fi); n >= len -> len-1 */
static int64_t avsbench_index(int64_t l, double fps, int64_t nframes) {
    double r = fps;
    int64_t fi = (int64_t)nearbyint(r);
    int64_t n = (int64_t)(l * fi + 0.9375 * fi);
    return n >= nframes ? nframes - 1 : n;
}

/* read all frames of path through the ffmpeg CLI as imageio does; NULL if no ffmpeg */
static uint8_t *ffmpeg_cli_frames(const char *path, int W, int H, int64_t *count) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -v error -i '%s' -f image2pipe -pix_fmt rgb24 -vcodec rawvideo -",
             path);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t fb = (size_t)W * H * 3, cap = 0, n = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (n + fb > cap) {
            cap = cap ? cap * 2 : fb * 64;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) break;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, fb, p);
        if (got < fb) break;
        n += fb;
    }
    pclose(p);
    *count = (int64_t)(n / fb);
    return buf;
}

static int have_ffmpeg(void) {
    return system("ffmpeg -version > /dev/null 2>&1") == 0;
}

typedef struct vcase {
    const char *name, *ext;
    vopts v;
    int64_t seconds_param; /* 0 = auto */
    int64_t want_T;
    int pattern; /* 1: frame n of the CFR sequence is encoded frame n (AVSBench rule checked on
                    the pixels); 0: the CFR sequence repeats/drops frames, only ffmpeg can say */
} vcase;

static void run_case(const vcase *vc, int ffmpeg_ok) {
    char path[512], fname[128], tag[256];
    const vopts *o = &vc->v;
    snprintf(fname, sizeof fname, "%s.%s", vc->name, vc->ext);
    tmp_file(path, sizeof path, fname);
    int mk = make_video(path, o);
    if (mk != 0) {
        if (mk > 0) tl_skip(vc->name, "this FFmpeg build cannot write such a video");
        else tl_fail(vc->name, "could not make the test video with the libavcodec encoder");
        remove(path);
        return;
    }
    video_read_params p = video_read_default_params();
    p.seconds = vc->seconds_param;
    video_frames v;
    vct_error err = {0};
    if (video_read_frames_1fps(path, &p, &v, &err) != VCT_STATUS_OK) {
        tl_fail(vc->name, "%s", err.msg);
        remove(path);
        return;
    }
    double fps = av_q2d(o->rate);
    snprintf(tag, sizeof tag, "%s: %lld frames at %.3f fps, %dx%d -> T", vc->name, (long long)o->nframes, fps, o->W,
             o->H);
    tl_expect(v.T == vc->want_T && v.H == o->H && v.W == o->W, tag, "T %lld size %lldx%lld, want T %lld %dx%d",
              (long long)v.T, (long long)v.W, (long long)v.H, (long long)vc->want_T, o->W, o->H);
    snprintf(tag, sizeof tag, "%s: fps", vc->name);
    tl_expect(fabs(v.fps - fps) < 0.02 && v.fps_int == (int64_t)nearbyint(fps), tag, "fps %.6f (F %lld), want %.6f",
              v.fps, (long long)v.fps_int, fps);
    if (vc->pattern) {
        int64_t T = v.T < vc->want_T ? v.T : vc->want_T;
        int bad = 0;
        for (int64_t l = 0; l < T; l++) {
            const uint8_t *fr = v.data + (size_t)l * (size_t)(v.H * v.W * 3);
            int64_t got = o->pix == AV_PIX_FMT_BGR0 ? ident_rgb(fr, o->W, o->H) : ident_stripes(fr, o->W, o->H);
            int64_t want = avsbench_index(l, fps, o->nframes);
            if (got != want) {
                printf("  %s: second %lld: got frame %lld, want frame %lld\n", vc->name, (long long)l,
                       (long long)got, (long long)want);
                bad++;
            }
        }
        snprintf(tag, sizeof tag, "%s: frame chosen for each second (AVSBench rule)", vc->name);
        tl_expect(bad == 0 && T > 0, tag, "%d of %lld seconds wrong", bad, (long long)T);
    }

    snprintf(tag, sizeof tag, "%s: identical to ffmpeg CLI rgb24 frames", vc->name);
    if (!ffmpeg_ok) {
        tl_skip(tag, "ffmpeg not on PATH");
    } else {
        int64_t count = 0;
        uint8_t *all = ffmpeg_cli_frames(path, o->W, o->H, &count);
        if (!all || count <= 0) {
            tl_fail(tag, "ffmpeg produced no frames");
        } else {
            size_t fb = (size_t)(v.H * v.W * 3);
            int64_t worst = 0, nbad = 0, first_bad = -1;
            for (int64_t l = 0; l < v.T; l++) {
                int64_t n = avsbench_index(l, (double)v.fps, count);
                const uint8_t *a = v.data + (size_t)l * fb, *b = all + (size_t)n * fb;
                for (size_t i = 0; i < fb; i++) {
                    int64_t d = llabs((long long)a[i] - (long long)b[i]);
                    if (d && first_bad < 0) first_bad = l;
                    if (d) nbad++;
                    if (d > worst) worst = d;
                }
            }
            tl_expect(nbad == 0, tag,
                      "%lld bytes differ (max |diff| %lld, first at second %lld); ffmpeg gave %lld frames, we "
                      "counted %lld",
                      (long long)nbad, (long long)worst, (long long)first_bad, (long long)count, (long long)v.n_cfr);
            /* the whole constant-rate sequence, frame by frame */
            video_read_params pa = video_read_default_params();
            pa.all_frames = 1;
            video_frames va;
            snprintf(tag, sizeof tag, "%s: every CFR frame identical to ffmpeg CLI", vc->name);
            if (video_read_frames_1fps(path, &pa, &va, &err) != VCT_STATUS_OK) {
                tl_fail(tag, "%s", err.msg);
            } else {
                int64_t n = va.T < count ? va.T : count, first = -1, ndiff = 0;
                for (int64_t m = 0; m < n; m++)
                    if (memcmp(va.data + (size_t)m * fb, all + (size_t)m * fb, fb) != 0) {
                        if (first < 0) first = m;
                        ndiff++;
                    }
                tl_expect(va.T == count && ndiff == 0, tag, "%lld frames, ffmpeg %lld; %lld differ, first at %lld",
                          (long long)va.T, (long long)count, (long long)ndiff, (long long)first);
                video_frames_free(&va);
            }
        }
        free(all);
    }
    video_frames_free(&v);
    remove(path);
}

/* ------------------------------------------------------------------ broken inputs */

static void expect_failure(const char *name, const char *path, const char *needle) {
    video_frames v;
    vct_error err = {0};
    vct_status st = video_read_frames_1fps(path, NULL, &v, &err);
    int ok = st != VCT_STATUS_OK && strstr(err.msg, path) != NULL && v.data == NULL &&
             (!needle || strstr(err.msg, needle) != NULL);
    tl_expect(ok, name, "status %d, message '%s' (want the path%s%s)", (int)st, err.msg, needle ? " and " : "",
              needle ? needle : "");
    if (st == VCT_STATUS_OK) video_frames_free(&v);
    else printf("  (message: %s)\n", err.msg);
}

static int write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int truncate_copy(const char *src, const char *dst, double frac, size_t max_bytes) {
    FILE *f = fopen(src, "rb");
    if (!f) return -1;
    static uint8_t buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t keep = (size_t)(n * frac);
    if (max_bytes && keep > max_bytes) keep = max_bytes;
    return write_file(dst, buf, keep);
}

static void test_broken(void) {
    char path[512], src[512];
    tmp_file(path, sizeof path, "text.mp4");
    const char *text = "this is not a video, just some text\n";
    write_file(path, text, strlen(text));
    expect_failure("broken: text file", path, NULL);
    remove(path);

    tmp_file(path, sizeof path, "empty.avi");
    write_file(path, "", 0);
    expect_failure("broken: empty file", path, "empty");
    remove(path);

    /* audio only: a 0.5 s 16 kHz mono PCM WAV */
    tmp_file(path, sizeof path, "audio_only.wav");
    {
        uint8_t wav[44 + 16000];
        uint32_t data_n = 16000, rate = 16000, byte_rate = 32000;
        memcpy(wav, "RIFF", 4);
        uint32_t riff_n = 36 + data_n;
        memcpy(wav + 4, &riff_n, 4);
        memcpy(wav + 8, "WAVEfmt ", 8);
        uint32_t fmt_n = 16;
        uint16_t pcm = 1, ch = 1, align = 2, bits = 16;
        memcpy(wav + 16, &fmt_n, 4);
        memcpy(wav + 20, &pcm, 2);
        memcpy(wav + 22, &ch, 2);
        memcpy(wav + 24, &rate, 4);
        memcpy(wav + 28, &byte_rate, 4);
        memcpy(wav + 32, &align, 2);
        memcpy(wav + 34, &bits, 2);
        memcpy(wav + 36, "data", 4);
        memcpy(wav + 40, &data_n, 4);
        for (int i = 0; i < 8000; i++) {
            int16_t s = (int16_t)(8000.0 * sin(i * 0.1));
            memcpy(wav + 44 + 2 * i, &s, 2);
        }
        write_file(path, wav, sizeof wav);
    }
    expect_failure("broken: audio-only file", path, "no video stream");
    remove(path);

    tmp_file(path, sizeof path, "missing.mkv");
    remove(path);
    video_frames v;
    vct_error err = {0};
    vct_status st = video_read_frames_1fps(path, NULL, &v, &err);
    tl_expect(st == VCT_STATUS_IO && strstr(err.msg, path), "broken: missing file", "status %d '%s'", (int)st,
              err.msg);

    /* truncated: a 5 s video cut to 40% (header intact), and to its first 300 bytes */
    const struct {
        const char *muxer, *ext;
        enum AVCodecID codec;
        enum AVPixelFormat pix;
        int faststart;
    } kinds[] = {{"matroska", "mkv", AV_CODEC_ID_FFV1, AV_PIX_FMT_BGR0, 0},
                 {"avi", "avi", AV_CODEC_ID_MPEG4, AV_PIX_FMT_YUV420P, 0},
                 {"mp4", "mp4", AV_CODEC_ID_MPEG4, AV_PIX_FMT_YUV420P, 0},
                 {"mp4", "faststart.mp4", AV_CODEC_ID_MPEG4, AV_PIX_FMT_YUV420P, 1}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char name[64], tag[128];
        snprintf(name, sizeof name, "full.%s", kinds[k].ext);
        tmp_file(src, sizeof src, name);
        vopts o = {.muxer = kinds[k].muxer, .codec = kinds[k].codec, .pix = kinds[k].pix, .W = 64, .H = 48,
                   .rate = {25, 1}, .nframes = 125, .faststart = kinds[k].faststart};
        int mk = make_video(src, &o);
        if (mk != 0) {
            if (mk > 0) tl_skip("broken: make source video", "this FFmpeg build cannot write it");
            else tl_fail("broken: make source video", "%s", src);
            remove(src);
            continue;
        }
        snprintf(name, sizeof name, "cut40.%s", kinds[k].ext);
        tmp_file(path, sizeof path, name);
        truncate_copy(src, path, 0.4, 0);
        snprintf(tag, sizeof tag, "broken: %s cut to 40%%", kinds[k].ext);
        expect_failure(tag, path, NULL);
        if (!getenv("VCT_KEEP")) remove(path);
        snprintf(name, sizeof name, "cut300.%s", kinds[k].ext);
        tmp_file(path, sizeof path, name);
        truncate_copy(src, path, 1.0, 300);
        snprintf(tag, sizeof tag, "broken: %s cut to 300 bytes", kinds[k].ext);
        expect_failure(tag, path, NULL);
        remove(path);
        remove(src);
    }
}

int main(void) {
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s", t && *t ? t : "/tmp");
    av_log_set_level(AV_LOG_FATAL); /* the broken-file cases make libav* chatty */
    int ffmpeg_ok = have_ffmpeg();
#define V(mux, codec_pix, w, h, num, den, n) \
    .muxer = mux, .codec = codec_pix, .W = w, .H = h, .rate = {num, den}, .nframes = n
#define FFV1 AV_CODEC_ID_FFV1, .pix = AV_PIX_FMT_BGR0
#define MPEG4 AV_CODEC_ID_MPEG4, .pix = AV_PIX_FMT_YUV420P
#define H264 AV_CODEC_ID_H264, .pix = AV_PIX_FMT_YUV420P
#define MJPEG AV_CODEC_ID_MJPEG, .pix = AV_PIX_FMT_YUVJ420P
    const vcase cases[] = {
        /* name, ext, video, T param (0 = auto), expected T, pattern check */
        {"ffv1_25fps_5s", "mkv", {V("matroska", FFV1, 71, 30, 25, 1, 125)}, 0, 5, 1},
        {"ffv1_2997fps_5s", "mkv", {V("matroska", FFV1, 33, 17, 30000, 1001, 150)}, 0, 5, 1},
        {"mpeg4_2997fps_5s_avi", "avi", {V("avi", MPEG4, 97, 55, 30000, 1001, 150), .bframes = 2}, 0, 5, 1},
        {"mpeg4_25fps_5s_mp4", "mp4", {V("mp4", MPEG4, 80, 45, 25, 1, 125), .bframes = 2}, 0, 5, 1},
        {"mpeg4_24fps_2.5s_mp4", "mp4", {V("mp4", MPEG4, 64, 36, 24, 1, 60), .bframes = 2}, 0, 3, 1},
        {"ffv1_25fps_5s_T10", "mkv", {V("matroska", FFV1, 40, 24, 25, 1, 125)}, 10, 10, 1},
        {"ffv1_30fps_10s_T5", "mkv", {V("matroska", FFV1, 24, 16, 30, 1, 300)}, 5, 5, 1},
        {"mjpeg_full_range", "avi",
         {V("avi", MJPEG, 45, 31, 25, 1, 125)}, 0, 5, 1},
        {"mpeg4_bt709_tagged", "mkv",
         {V("matroska", MPEG4, 64, 36, 25, 1, 125), .cs = AVCOL_SPC_BT709, .range = AVCOL_RANGE_MPEG}, 0, 5, 1},
        {"h264_bframes_mp4", "mp4", {V("mp4", H264, 96, 54, 30000, 1001, 150), .bframes = 3}, 0, 5, 1},
        /* CFR conversion corner cases (repeated / dropped frames): checked against ffmpeg only */
        {"avi_bframes_with_audio", "avi", {V("avi", MPEG4, 64, 48, 30000, 1001, 150), .bframes = 2, .audio = 1},
         0, 5, 0},
        {"mkv_video_starts_late", "mkv",
         {V("matroska", FFV1, 32, 24, 25, 1, 125), .audio = 1, .start_ms = 230, .ms_timebase = 1}, 0, 5, 0},
        {"mkv_vfr_gaps_jitter", "mkv", {V("matroska", FFV1, 32, 24, 25, 1, 125), .vfr = 1, .ms_timebase = 1}, 0,
         5, 0},
        {"mkv_vfr_with_audio", "mkv",
         {V("matroska", MPEG4, 48, 32, 30, 1, 150), .audio = 1, .start_ms = 40, .vfr = 1, .ms_timebase = 1}, 0,
         5, 0},
        {"mkv_vfr_bursts", "mkv", {V("matroska", FFV1, 32, 24, 25, 1, 125), .vfr = 2, .ms_timebase = 1}, 0, 5, 0},
        {"mkv_vfr_bursts_with_audio", "mkv",
         {V("matroska", FFV1, 32, 24, 25, 1, 125), .vfr = 2, .audio = 1, .ms_timebase = 1}, 0, 5, 0},
        {"h264_bframes_audio_mp4", "mp4", {V("mp4", H264, 96, 54, 25, 1, 125), .bframes = 3, .audio = 1}, 0, 5, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], ffmpeg_ok);
    test_broken();
    return tl_summary("test_video");
}
