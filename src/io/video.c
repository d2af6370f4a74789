/* video.c: 1-fps frame sampling with FFmpeg, following AVSBench's extraction; see video.h
 * and docs/frames.md §5.
 *
 * Streaming: frames come out of the decoder in presentation order; take_frame() replays
 * ffmpeg 5.1's constant-frame-rate conversion (fftools/ffmpeg.c do_video_out, vsync cfr /
 * vscfr) to decide how often each decoded frame (or, for a gap, the previous one) appears in
 * the CFR sequence; emit() numbers the sequence and converts to RGB only the frames whose
 * number is wanted. Decoding stops once every second needed is filled; seconds past the
 * end take the last frame of the sequence. */
#include "io/video.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "core/log.h"

video_read_params video_read_default_params(void) {
    video_read_params p;
    memset(&p, 0, sizeof p);
    p.seconds = 0;
    p.max_seconds = 600;
    p.threads = 1;
    return p;
}

void video_frames_free(video_frames *v) {
    if (!v) return;
    free(v->data);
    free(v->frame_index);
    memset(v, 0, sizeof *v);
}

int64_t video_avsbench_frame_number(int64_t l, int64_t F) {
    /* Python: int(l * frame_interval + (15 * 1.0 / 16) * frame_interval), in doubles */
    return (int64_t)((double)l * (double)F + (15.0 / 16.0) * (double)F);
}

typedef struct vstate {
    const char *path;
    video_frames *out;
    int64_t T_cap;   /* seconds that may be filled (T, or max_seconds in auto mode) */
    int64_t T_alloc; /* seconds with storage */
    int64_t next;    /* first second not yet filled */
    /* ffmpeg's CFR conversion (fftools 5.1 do_video_out, vsync cfr / vscfr) */
    AVRational tb, cfr_rate, enc_tb;
    int64_t start_offset; /* the input start time, in stream time base (ffmpeg's ts_offset) */
    int vscfr;            /* input file with a single stream: leading gap not filled */
    int all_frames;       /* every CFR frame is a target */
    int64_t sync_opts;    /* next output timestamp, in output frames */
    int64_t n_out;        /* frames written to the CFR sequence so far */
    int last_nb0[3];
    AVFrame *prev;     /* the previous decoded frame (ffmpeg's last_frame) */
    AVFrame *last_out; /* the last frame written to the CFR sequence */
    int64_t prev_ts;
    double last_end; /* end of the last decoded frame, seconds from the start */
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt, sws_cs, sws_range;
} vstate;

static const char *ff_err(int rc, char *buf, size_t cap) {
    if (av_strerror(rc, buf, cap) < 0) snprintf(buf, cap, "error %d", rc);
    return buf;
}

/* F as AVSBench got it: int(round(float(s))) of the fps string ffmpeg prints (print_fps:
 * "%3.2f" unless the rate is a whole number to 1/100, then "%1.0f"); Python rounds half
 * to even, as nearbyint does in the default rounding mode. */
static int64_t printed_fps_rounded(double fps) {
    char buf[64];
    long v = lrintf((float)(fps * 100));
    snprintf(buf, sizeof buf, v % 100 ? "%3.2f" : "%1.0f", fps);
    int64_t F = (int64_t)nearbyint(strtod(buf, NULL));
    return F < 1 ? 1 : F;
}

static vct_status grow_seconds(vstate *s, int64_t need, vct_error *err) {
    if (need <= s->T_alloc) return VCT_STATUS_OK;
    int64_t cap = s->T_alloc ? s->T_alloc : 8;
    while (cap < need) cap *= 2;
    if (cap < need) cap = need;
    size_t fb = (size_t)(s->out->H * s->out->W * 3);
    uint8_t *d = realloc(s->out->data, fb * (size_t)cap);
    if (!d) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for %lld frames", s->path, (long long)cap);
    s->out->data = d;
    int64_t *fi = realloc(s->out->frame_index, sizeof *fi * (size_t)cap);
    if (!fi) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", s->path);
    s->out->frame_index = fi;
    s->T_alloc = cap;
    return VCT_STATUS_OK;
}

/* Convert f to RGB24 at the output size into second l's slot. */
static vct_status store_frame(vstate *s, const AVFrame *f, int64_t l, vct_error *err) {
    VCT_TRY(grow_seconds(s, l + 1, err));
    video_frames *o = s->out;
    int cs = f->colorspace, range = f->color_range;
    if (!s->sws || s->sws_w != f->width || s->sws_h != f->height || s->sws_fmt != f->format ||
        s->sws_cs != cs || s->sws_range != range) {
        sws_freeContext(s->sws);
        /* ffmpeg's command line scales with flags=bicubic by default */
        s->sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, (int)o->W, (int)o->H,
                                AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
        if (!s->sws) {
            const char *pf = av_get_pix_fmt_name((enum AVPixelFormat)f->format);
            return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: cannot convert %s %dx%d frames to RGB",
                            s->path, pf ? pf : "?", f->width, f->height);
        }
        /* as ffmpeg's scale filter (in_color_matrix=auto): the frame's own matrix and range */
        int *inv = NULL, *tab = NULL, src_full = 0, dst_full = 0, bri = 0, con = 0, sat = 0;
        if (sws_getColorspaceDetails(s->sws, &inv, &src_full, &tab, &dst_full, &bri, &con, &sat) >= 0) {
            const int *coef = sws_getCoefficients(cs);
            if (range != AVCOL_RANGE_UNSPECIFIED) src_full = range == AVCOL_RANGE_JPEG;
            sws_setColorspaceDetails(s->sws, coef, src_full, coef, dst_full, bri, con, sat);
        }
        s->sws_w = f->width;
        s->sws_h = f->height;
        s->sws_fmt = f->format;
        s->sws_cs = cs;
        s->sws_range = range;
    }
    uint8_t *dst[4] = {o->data + (size_t)l * (size_t)(o->H * o->W * 3), NULL, NULL, NULL};
    int dst_stride[4] = {(int)(o->W * 3), 0, 0, 0};
    int h = sws_scale(s->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_stride);
    if (h != (int)o->H)
        return vct_fail(err, VCT_STATUS_BACKEND, "%s: libswscale returned %d rows, expected %lld", s->path, h,
                        (long long)o->H);
    return VCT_STATUS_OK;
}

static int64_t target_frame(const vstate *s, int64_t l) {
    return s->all_frames ? l : video_avsbench_frame_number(l, s->out->fps_int);
}

/* Append pic to the CFR sequence; fill the seconds whose frame number this is. */
static vct_status emit(vstate *s, AVFrame *pic, vct_error *err) {
    int64_t m = s->n_out++;
    s->sync_opts++;
    while (s->next < s->T_cap && target_frame(s, s->next) == m) {
        VCT_TRY(store_frame(s, pic, s->next, err));
        s->next++;
    }
    av_frame_unref(s->last_out);
    if (av_frame_ref(s->last_out, pic) < 0) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", s->path);
    return VCT_STATUS_OK;
}

static int mid3(int a, int b, int c) {
    int lo = a < b ? a : b, hi = a < b ? b : a;
    return c < lo ? lo : c > hi ? hi : c;
}

/* One decoded frame (NULL: end of stream), in output order: ffmpeg 5.1's do_video_out
 * decides how many times it (or, for a leading gap, the previous frame) is written. */
static vct_status take_frame(vstate *s, AVFrame *f, vct_error *err) {
    video_frames *o = s->out;
    int nb = 0, nb0 = 0;
    if (!f) {
        if (!s->prev || !s->prev->buf[0]) return VCT_STATUS_OK;
        nb = nb0 = mid3(s->last_nb0[0], s->last_nb0[1], s->last_nb0[2]);
        for (int i = 0; i < nb; i++) VCT_TRY(emit(s, s->prev, err));
        return VCT_STATUS_OK;
    }
    if (o->n_decoded == 0) {
        o->W = f->width;
        o->H = f->height;
        if (o->W <= 0 || o->H <= 0 || o->W * o->H > ((int64_t)1 << 28))
            return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: frame size %lldx%lld", s->path, (long long)o->W,
                            (long long)o->H);
    }
    int64_t ts = f->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) ts = o->n_decoded ? s->prev_ts + 1 : 0; /* no timestamps: count */
    else ts -= s->start_offset;
    s->prev_ts = ts;
    o->n_decoded++;

    /* timestamp in output frames, with ffmpeg's extra precision and midpoint nudge */
    int extra_bits = 29 - av_log2((unsigned)s->enc_tb.den);
    if (extra_bits < 0) extra_bits = 0;
    if (extra_bits > 16) extra_bits = 16;
    AVRational fine = {s->enc_tb.num, s->enc_tb.den << extra_bits};
    double sync_ipts = (double)av_rescale_q(ts, s->tb, fine) / (double)(1 << extra_bits);
    sync_ipts += (sync_ipts > 0 ? 1.0 : sync_ipts < 0 ? -1.0 : 0.0) / (double)(1 << 17);
    double duration = 1.0 / (av_q2d(s->cfr_rate) * av_q2d(s->enc_tb));
    if (f->pkt_duration > 0) {
        long d = lrintf((float)((double)f->pkt_duration * av_q2d(s->tb) / av_q2d(s->enc_tb)));
        if (d > 0) duration = (double)d;
    }
    double end = (double)(ts + (f->pkt_duration > 0 ? f->pkt_duration : 0)) * av_q2d(s->tb);
    if (f->pkt_duration <= 0) end += 1.0 / av_q2d(s->cfr_rate);
    if (end > s->last_end) s->last_end = end;

    double delta0 = sync_ipts - (double)s->sync_opts, delta = delta0 + duration;
    if (delta0 < 0 && delta > 0) { /* clip a frame that starts before the next slot */
        duration += delta0;
        delta0 = 0;
    }
    if (s->vscfr && s->n_out == 0 && delta0 >= 0.5) { /* "not duplicating initial frames" */
        delta = duration;
        delta0 = 0;
        s->sync_opts = llrint(sync_ipts);
    }
    nb = 1;
    if (delta < -1.1) nb = 0;
    else if (delta > 1.1) {
        nb = (int)llrintf((float)delta);
        if (delta0 > 1.1) nb0 = (int)llrintf((float)(delta0 - 0.6));
    }
    if (nb0 > nb) nb0 = nb;
    s->last_nb0[2] = s->last_nb0[1];
    s->last_nb0[1] = s->last_nb0[0];
    s->last_nb0[0] = nb0;
    if (nb > 3240000) { /* ffmpeg: "frame duplication too large, skipping" */
        log_warn("%s: timestamp jump of %d frames; frame skipped", s->path, nb);
        return VCT_STATUS_OK;
    }
    int have_prev = s->prev && s->prev->buf[0];
    for (int i = 0; i < nb && s->next < s->T_cap; i++) VCT_TRY(emit(s, i < nb0 && have_prev ? s->prev : f, err));
    av_frame_unref(s->prev);
    if (av_frame_ref(s->prev, f) < 0) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", s->path);
    return VCT_STATUS_OK;
}

/* send one packet (NULL: flush) and take what comes out; *done once every second is closed */
static vct_status decode_packet(vstate *s, AVCodecContext *ctx, AVFrame *frame, const AVPacket *pkt,
                                int64_t *damaged, vct_error *err) {
    char eb[128];
    int rc = avcodec_send_packet(ctx, pkt);
    if (rc < 0 && rc != AVERROR_EOF) {
        if (rc == AVERROR(ENOMEM)) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", s->path);
        (*damaged)++;
        log_debug("%s: decoder rejected a packet: %s", s->path, ff_err(rc, eb, sizeof eb));
        return VCT_STATUS_OK;
    }
    for (;;) {
        rc = avcodec_receive_frame(ctx, frame);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) break;
        if (rc < 0) {
            if (rc == AVERROR(ENOMEM)) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", s->path);
            (*damaged)++;
            log_debug("%s: decoding failed: %s", s->path, ff_err(rc, eb, sizeof eb));
            break;
        }
        vct_status st = take_frame(s, frame, err);
        av_frame_unref(frame);
        if (st != VCT_STATUS_OK) return st;
    }
    return VCT_STATUS_OK;
}

static int pick_stream(AVFormatContext *fmt, const AVCodec **dec) {
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, dec, 0);
    if (si >= 0 && !(fmt->streams[si]->disposition & AV_DISPOSITION_ATTACHED_PIC)) return si;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO || (st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            continue;
        *dec = avcodec_find_decoder(st->codecpar->codec_id);
        return (int)i;
    }
    return AVERROR_STREAM_NOT_FOUND;
}

vct_status video_read_frames_1fps(const char *path, const video_read_params *params, video_frames *out,
                                  vct_error *err) {
    return video_read_frames_1fps_with(path, params, NULL, out, err);
}

vct_status video_read_frames_1fps_with(const char *path, const video_read_params *params,
                                       const video_side_stream *side, video_frames *out, vct_error *err) {
    char eb[128];
    if (!out) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "video_read_frames_1fps: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "video_read_frames_1fps: path is NULL");
    video_read_params p = params ? *params : video_read_default_params();
    if (p.max_seconds <= 0) p.max_seconds = 600;
    AVFormatContext *fmt = NULL;
    AVCodecContext *ctx = NULL;
    AVFrame *frame = NULL;
    AVPacket *pkt = NULL;
    vstate s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.out = out;
    vct_status st = VCT_STATUS_OK;
    int64_t damaged = 0;

    /* checked without opening the file: libavformat's open below is its only one */
    struct stat sb;
    if (access(path, R_OK) != 0 || stat(path, &sb) != 0)
        return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode) || (S_ISREG(sb.st_mode) && sb.st_size == 0))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: %s, not a video", path, S_ISDIR(sb.st_mode) ? "a folder" : "empty file");

    int rc = avformat_open_input(&fmt, path, NULL, NULL);
    if (rc < 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: not a readable video file: %s", path, ff_err(rc, eb, sizeof eb));
        goto fail;
    }
    rc = avformat_find_stream_info(fmt, NULL);
    if (rc < 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: cannot read the stream info: %s", path, ff_err(rc, eb, sizeof eb));
        goto fail;
    }
    const AVCodec *dec = NULL;
    int si = pick_stream(fmt, &dec);
    if (si < 0) {
        char kinds[256] = "";
        size_t used = 0;
        for (unsigned i = 0; i < fmt->nb_streams && used < sizeof kinds; i++) {
            const char *k = av_get_media_type_string(fmt->streams[i]->codecpar->codec_type);
            used += (size_t)snprintf(kinds + used, sizeof kinds - used, "%s%s", i ? ", " : "", k ? k : "unknown");
        }
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: no video stream (the file has %u stream%s%s%s)", path,
                      fmt->nb_streams, fmt->nb_streams == 1 ? "" : "s", fmt->nb_streams ? ": " : "", kinds);
        goto fail;
    }
    AVStream *vs = fmt->streams[si];
    if (!dec) {
        st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: no decoder for the video codec %s", path,
                      avcodec_get_name(vs->codecpar->codec_id));
        goto fail;
    }
    int side_si = -1;
    if (side) {
        st = side->open(side->user, fmt, &side_si, err);
        if (st != VCT_STATUS_OK) goto fail;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != si && (int)i != side_si) fmt->streams[i]->discard = AVDISCARD_ALL;

    /* the fps imageio reports: ffmpeg's printed "<x> fps" (average rate), else "tbr" */
    AVRational rate = vs->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) rate = vs->r_frame_rate;
    s.cfr_rate = av_guess_frame_rate(fmt, vs, NULL); /* what ffmpeg's CFR output runs at */
    if (s.cfr_rate.num <= 0 || s.cfr_rate.den <= 0) s.cfr_rate = rate;
    if (rate.num <= 0 || rate.den <= 0 || s.cfr_rate.num <= 0 || s.cfr_rate.den <= 0) {
        st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: the video stream has no frame rate", path);
        goto fail;
    }
    s.tb = vs->time_base;
    s.enc_tb = av_inv_q(s.cfr_rate);
    s.vscfr = fmt->nb_streams == 1;
    if (fmt->start_time != AV_NOPTS_VALUE) s.start_offset = av_rescale_q(fmt->start_time, AV_TIME_BASE_Q, vs->time_base);
    out->fps = av_q2d(rate);
    out->fps_int = printed_fps_rounded(out->fps);
    out->cfr_fps = av_q2d(s.cfr_rate);
    s.all_frames = p.all_frames;
    s.T_cap = p.seconds > 0 ? p.seconds : p.all_frames ? p.max_seconds * (int64_t)ceil(out->cfr_fps) : p.max_seconds;

    ctx = avcodec_alloc_context3(dec);
    frame = av_frame_alloc();
    s.prev = av_frame_alloc();
    s.last_out = av_frame_alloc();
    pkt = av_packet_alloc();
    if (!ctx || !frame || !s.prev || !s.last_out || !pkt) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    rc = avcodec_parameters_to_context(ctx, vs->codecpar);
    if (rc >= 0) {
        ctx->pkt_timebase = vs->time_base;
        ctx->thread_count = p.threads > 0 ? p.threads : 1;
        rc = avcodec_open2(ctx, dec, NULL);
    }
    if (rc < 0) {
        st = vct_fail(err, VCT_STATUS_BACKEND, "%s: cannot open the %s decoder: %s", path, dec->name,
                      ff_err(rc, eb, sizeof eb));
        goto fail;
    }
    snprintf(out->codec, sizeof out->codec, "%s", dec->name);

    int read_rc = 0, stopped_early = 0;
    for (;;) {
        read_rc = av_read_frame(fmt, pkt);
        if (read_rc < 0) break;
        if (pkt->stream_index == si && !stopped_early) st = decode_packet(&s, ctx, frame, pkt, &damaged, err);
        else if (pkt->stream_index == side_si) st = side->packet(side->user, pkt, err);
        av_packet_unref(pkt);
        if (st != VCT_STATUS_OK) goto fail;
        if (s.next >= s.T_cap && !stopped_early) {
            stopped_early = 1; /* every second is filled: the video is done */
            if (!side) break;
        }
    }
    if (side) {
        st = side->finish(side->user, read_rc, err);
        if (st != VCT_STATUS_OK) goto fail;
    }
    if (!stopped_early) {
        st = decode_packet(&s, ctx, frame, NULL, &damaged, err); /* flush the decoder */
        if (st == VCT_STATUS_OK) st = take_frame(&s, NULL, err); /* and the CFR conversion */
        if (st != VCT_STATUS_OK) goto fail;
    }
    if (out->n_decoded == 0 || s.n_out == 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: no video frame could be decoded (%s stream%s)", path, dec->name,
                      read_rc < 0 && read_rc != AVERROR_EOF ? ", file damaged or truncated" : "");
        goto fail;
    }
    out->n_cfr = s.n_out;
    out->duration = (double)s.n_out / out->cfr_fps;
    if (!stopped_early) {
        /* truncated? compare with the duration the container states */
        double stated = -1;
        if (fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) { /* not a guess */
            if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0)
                stated = (double)vs->duration * av_q2d(vs->time_base);
            else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
                stated = (double)fmt->duration / AV_TIME_BASE;
        }
        if (vs->nb_frames > 0) { /* frame count in the header (AVI, MP4) */
            double by_count = (double)vs->nb_frames / av_q2d(rate);
            if (by_count > stated) stated = by_count;
        }
        double slack = stated * 0.1 > 0.5 ? stated * 0.1 : 0.5;
        if (stated > 0 && s.last_end < stated - slack) {
            st = vct_fail(err, VCT_STATUS_FORMAT,
                          "%s: truncated or damaged video: decoded frames cover %.2f s of the %.2f s the file "
                          "states%s%s",
                          path, s.last_end, stated, read_rc < 0 && read_rc != AVERROR_EOF ? "; read error: " : "",
                          read_rc < 0 && read_rc != AVERROR_EOF ? ff_err(read_rc, eb, sizeof eb) : "");
            goto fail;
        }
        if (read_rc < 0 && read_rc != AVERROR_EOF)
            log_warn("%s: read error after %lld frames (%s); keeping what was decoded", path,
                     (long long)out->n_decoded, ff_err(read_rc, eb, sizeof eb));
    }
    if (damaged > 0)
        log_warn("%s: %lld damaged video packet%s skipped", path, (long long)damaged, damaged == 1 ? "" : "s");

    int64_t T = p.seconds;
    if (T <= 0 && p.all_frames) T = s.n_out;
    if (T <= 0) {
        T = (int64_t)floor(out->duration + 0.5);
        if (T < 1) T = 1;
        if (T > p.max_seconds) {
            log_warn("%s: %.1f s of video; keeping the first %lld s (max_seconds)", path, out->duration,
                     (long long)p.max_seconds);
            T = p.max_seconds;
        }
    }
    /* seconds past the end take the last frame (AVSBench clamps n_l to len(frames) - 1) */
    for (int64_t l = s.next; l < T; l++) {
        st = store_frame(&s, s.last_out, l, err);
        if (st != VCT_STATUS_OK) goto fail;
        out->n_clamped++;
    }
    out->T = T;
    for (int64_t l = 0; l < T; l++) out->frame_index[l] = target_frame(&s, l);
    if (out->n_clamped > 0)
        log_debug("%s: %lld of %lld seconds past the end of the video take its last frame", path,
                  (long long)out->n_clamped, (long long)T);
    goto done;
fail:
    video_frames_free(out);
done:
    sws_freeContext(s.sws);
    av_frame_free(&s.prev);
    av_frame_free(&s.last_out);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
    avformat_close_input(&fmt);
    return st;
}
