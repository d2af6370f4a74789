/* decode.c: audio file -> interleaved int16/32768 floats at the source rate, and the
 * mono doubles the official front end averages from them.
 * WAV through libsndfile (as python-soundfile reads it), the rest through
 * FFmpeg (libavformat + libavcodec, int16 conversion by libswresample, as the
 * ffmpeg tool does when it writes pcm_s16le). The FFmpeg part is a stream decoder fed
 * packet by packet, so a caller that demuxes a video itself (data/clip.c) decodes the
 * same samples in its one pass. See decode.h for the exact rules. */
#include "audio/decode.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>

#include "core/log.h"

audio_decode_params audio_decode_default_params(void) {
    audio_decode_params p;
    p.float_wav = AUDIO_FLOAT_WAV_OFFICIAL;
    return p;
}

void audio_pcm_free(audio_pcm *pcm) {
    if (!pcm) return;
    free(pcm->samples);
    memset(pcm, 0, sizeof *pcm);
}

void audio_samples_free(audio_samples *s) {
    if (!s) return;
    free(s->data);
    memset(s, 0, sizeof *s);
}

double audio_mono_from_s16(const int16_t *frame, int C) {
    /* sum_c k_c/32768 is exact in double (|sum| < 2^31 * 2^-15), so summing the
     * integers first gives numpy's value; then one rounding for the division by C */
    int64_t s = 0;
    for (int c = 0; c < C; c++) s += frame[c];
    double v = (double)s / 32768.0;
    return C == 1 ? v : v / (double)C;
}

double audio_mono_from_f32(const float *frame, int C) {
    /* each x_c is k_c * 2^-15 exactly, so the double sum is exact and equals
     * sum_c k_c / 32768.0; then the same one rounding for the division by C */
    double v = 0;
    for (int c = 0; c < C; c++) v += (double)frame[c];
    return C == 1 ? v : v / (double)C;
}

vct_status audio_mono_alloc(double **mono, const float *pcm, int64_t n, int channels, const char *what,
                            vct_error *err) {
    const char *src = what ? what : "audio";
    *mono = NULL;
    if (!pcm || n <= 0) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no audio samples", src);
    if (channels < 1) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: %d channels", src, channels);
    if ((uint64_t)n > SIZE_MAX / sizeof(double))
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: audio too long (%lld samples)", src, (long long)n);
    double *m = malloc((size_t)n * sizeof *m);
    if (!m) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for %lld audio samples", src, (long long)n);
    for (int64_t i = 0; i < n; i++) m[i] = audio_mono_from_f32(pcm + i * channels, channels);
    *mono = m;
    return VCT_STATUS_OK;
}

/* make room for `more` frames of out->channels samples */
static vct_status samples_reserve(audio_samples *out, int64_t *cap, int64_t more, const char *path,
                                  vct_error *err) {
    if (out->n + more <= *cap) return VCT_STATUS_OK;
    int64_t want = *cap ? *cap : 65536;
    while (want < out->n + more) want *= 2;
    const int64_t C = out->channels;
    if ((uint64_t)want > SIZE_MAX / sizeof(float) / (uint64_t)C)
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: audio too long (%lld samples)", path,
                        (long long)want);
    float *p = realloc(out->data, (size_t)(want * C) * sizeof(float));
    if (!p)
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for %lld audio samples", path,
                        (long long)want);
    out->data = p;
    *cap = want;
    return VCT_STATUS_OK;
}

/* append `got` frames of C interleaved int16 samples */
static vct_status samples_append_s16(audio_samples *out, int64_t *cap, const int16_t *s16, int64_t got,
                                     const char *path, vct_error *err) {
    VCT_TRY(samples_reserve(out, cap, got, path, err));
    const int64_t C = out->channels;
    float *dst = out->data + out->n * C;
    for (int64_t i = 0; i < got * C; i++) dst[i] = (float)s16[i] / 32768.0f; /* exact */
    out->n += got;
    return VCT_STATUS_OK;
}

static void set_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "?");
}

/* ---- WAV through libsndfile ------------------------------------------------------------- */

static const char *sf_subtype_name(int format) {
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: return "PCM_S8";
    case SF_FORMAT_PCM_U8: return "PCM_U8";
    case SF_FORMAT_PCM_16: return "PCM_16";
    case SF_FORMAT_PCM_24: return "PCM_24";
    case SF_FORMAT_PCM_32: return "PCM_32";
    case SF_FORMAT_FLOAT: return "FLOAT";
    case SF_FORMAT_DOUBLE: return "DOUBLE";
    case SF_FORMAT_ULAW: return "ULAW";
    case SF_FORMAT_ALAW: return "ALAW";
    case SF_FORMAT_IMA_ADPCM: return "IMA_ADPCM";
    case SF_FORMAT_MS_ADPCM: return "MS_ADPCM";
    case SF_FORMAT_GSM610: return "GSM610";
    default: return "other";
    }
}

static int16_t clip_s16_from_double(double v) {
    double r = nearbyint(v); /* round half to even, like lrint in the default mode */
    if (r > 32767.0) return 32767;
    if (r < -32768.0) return -32768;
    return (int16_t)r;
}

/* A float WAV with a NaN sample is refused: the official int16 read converts it with
 * lrintf(NaN), whose result C leaves unspecified (0 on x86-64 and ARM64 by accident of
 * the instruction set). +-Inf is well defined there (clipped to 32767/-32768) and kept.
 * One pass over the file as doubles, then back to the start. */
static vct_status check_float_wav(SNDFILE *sf, const char *path, int C, vct_error *err) {
    const sf_count_t CHUNK = 4096;
    double *d = malloc((size_t)(CHUNK * C) * sizeof *d);
    if (!d) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    vct_status st = VCT_STATUS_OK;
    int64_t at = 0;
    sf_count_t got;
    while (st == VCT_STATUS_OK && (got = sf_readf_double(sf, d, CHUNK)) > 0) {
        for (sf_count_t i = 0; i < got * C; i++) {
            if (isnan(d[i])) {
                st = vct_fail(err, VCT_STATUS_FORMAT,
                              "%s: float sample %lld (channel %d) is NaN: not audio (the official "
                              "reader's int16 conversion of NaN is undefined)",
                              path, (long long)(at + i / C), (int)(i % C));
                break;
            }
        }
        at += got;
    }
    free(d);
    if (st == VCT_STATUS_OK && sf_seek(sf, 0, SEEK_SET) != 0)
        st = vct_fail(err, VCT_STATUS_IO, "%s: cannot rewind after the NaN check: %s", path, sf_strerror(sf));
    return st;
}

/* libsndfile reads a WAV whose data chunk claims more bytes than the file holds up to
 * the end of the file, silently (soundfile, hence the official code, does the same). Its
 * header log says "data : N (should be M)": warn, and mark the pcm truncated. */
static void sf_shorter_than_header(SNDFILE *sf, const char *path, audio_samples *out) {
    char log[2048];
    log[0] = '\0';
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    log[sizeof log - 1] = '\0';
    const char *p = strstr(log, "\ndata");
    const char *eol = p ? strchr(p + 1, '\n') : NULL;
    const char *should = p ? strstr(p, "(should be") : NULL;
    if (should && (!eol || should < eol)) {
        log_warn("%s: the file is shorter than its WAV header says (truncated?); reading the samples "
                 "it holds, as the official reader does",
                 path);
        out->truncated = 1;
    }
}

/* Returns 1 and fills out if path is a WAV libsndfile reads; 0 (nothing done, err
 * untouched) if it is not a WAV or libsndfile cannot open it; -1 on a failure. */
static int decode_sndfile(const char *path, const audio_decode_params *params, audio_samples *out,
                          vct_error *err) {
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return 0;
    int major = info.format & SF_FORMAT_TYPEMASK;
    if (major != SF_FORMAT_WAV && major != SF_FORMAT_WAVEX && major != SF_FORMAT_RF64 &&
        major != SF_FORMAT_W64) {
        sf_close(sf);
        return 0;
    }
    int16_t *buf = NULL;
    double *dbuf = NULL;
    int64_t cap = 0;
    const int64_t CHUNK = 4096;
    int C = info.channels;
    if (C <= 0 || info.samplerate <= 0) {
        vct_fail(err, VCT_STATUS_FORMAT, "%s: WAV header has %d channels at %d Hz", path, C,
                 info.samplerate);
        goto fail;
    }
    int sub = info.format & SF_FORMAT_SUBMASK;
    int is_float = sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE;
    if (is_float && check_float_wav(sf, path, C, err) != VCT_STATUS_OK) goto fail;
    sf_shorter_than_header(sf, path, out);
    /* python-soundfile turns clipping on for every file it opens */
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    out->sample_rate = info.samplerate;
    out->channels = C;
    set_str(out->reader, sizeof out->reader, "libsndfile");
    set_str(out->codec, sizeof out->codec, sf_subtype_name(info.format));
    if (is_float && params->float_wav == AUDIO_FLOAT_WAV_OFFICIAL)
        log_warn("%s: %s WAV: the official reader (soundfile, dtype=int16) rounds each float sample "
                 "to an integer without scaling, so audio in [-1,1] becomes near-silence; doing the "
                 "same (AUDIO_FLOAT_WAV_SCALE scales by 32768 instead)",
                 path, sf_subtype_name(info.format));
    buf = malloc((size_t)(CHUNK * C) * sizeof *buf);
    if (is_float && params->float_wav == AUDIO_FLOAT_WAV_SCALE)
        dbuf = malloc((size_t)(CHUNK * C) * sizeof *dbuf);
    if (!buf || (is_float && params->float_wav == AUDIO_FLOAT_WAV_SCALE && !dbuf)) {
        vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    for (;;) {
        sf_count_t got;
        if (dbuf) {
            got = sf_readf_double(sf, dbuf, CHUNK);
            for (sf_count_t i = 0; i < got * C; i++) buf[i] = clip_s16_from_double(dbuf[i] * 32768.0);
        } else {
            got = sf_readf_short(sf, buf, CHUNK);
        }
        if (got <= 0) break;
        if (samples_append_s16(out, &cap, buf, got, path, err) != VCT_STATUS_OK) goto fail;
    }
    if (sf_error(sf) != SF_ERR_NO_ERROR) {
        log_warn("%s: read error after %lld samples (%s); keeping what was read", path,
                 (long long)out->n, sf_strerror(sf));
        out->truncated = 1;
    }
    free(buf);
    free(dbuf);
    sf_close(sf);
    return 1;
fail:
    free(buf);
    free(dbuf);
    sf_close(sf);
    return -1;
}

/* ---- everything else through FFmpeg ---------------------------------------------------- */

struct audio_stream_decoder {
    const char *path;
    AVCodecContext *ctx;
    SwrContext *swr;
    AVFrame *frame;
    int in_rate, in_channels, in_format; /* what swr was set up for */
    int16_t *s16;                        /* interleaved conversion buffer */
    int s16_cap;                         /* frames */
    int64_t cap;                         /* frames reserved in out */
    audio_samples *out;
};
typedef struct audio_stream_decoder ff_state;

static const char *ff_errstr(int rc, char *buf, size_t cap) {
    if (av_strerror(rc, buf, cap) < 0) snprintf(buf, cap, "error %d", rc);
    return buf;
}

static vct_status ff_setup_swr(ff_state *s, const AVFrame *f, vct_error *err) {
    char eb[128];
    swr_free(&s->swr);
    AVChannelLayout layout;
    int rc;
    if (f->ch_layout.nb_channels > 0)
        rc = av_channel_layout_copy(&layout, &f->ch_layout);
    else
        rc = av_channel_layout_copy(&layout, &s->ctx->ch_layout);
    if (rc < 0)
        return vct_fail(err, VCT_STATUS_BACKEND, "%s: channel layout: %s", s->path,
                        ff_errstr(rc, eb, sizeof eb));
    rc = swr_alloc_set_opts2(&s->swr, &layout, AV_SAMPLE_FMT_S16, f->sample_rate, &layout,
                             (enum AVSampleFormat)f->format, f->sample_rate, 0, NULL);
    if (rc >= 0) rc = swr_init(s->swr);
    av_channel_layout_uninit(&layout);
    if (rc < 0)
        return vct_fail(err, VCT_STATUS_BACKEND, "%s: libswresample setup (%s, %d channels): %s",
                        s->path, av_get_sample_fmt_name((enum AVSampleFormat)f->format),
                        f->ch_layout.nb_channels, ff_errstr(rc, eb, sizeof eb));
    s->in_format = f->format;
    return VCT_STATUS_OK;
}

static vct_status ff_take_frame(ff_state *s, const AVFrame *f, vct_error *err) {
    char eb[128];
    int C = f->ch_layout.nb_channels > 0 ? f->ch_layout.nb_channels : s->ctx->ch_layout.nb_channels;
    if (f->nb_samples <= 0) return VCT_STATUS_OK;
    if (C <= 0 || f->sample_rate <= 0)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: decoded frame has %d channels at %d Hz",
                        s->path, C, f->sample_rate);
    if (s->in_rate == 0) {
        s->in_rate = f->sample_rate;
        s->in_channels = C;
        s->out->sample_rate = f->sample_rate;
        s->out->channels = C;
    } else if (f->sample_rate != s->in_rate || C != s->in_channels) {
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "%s: the audio stream changes from %d Hz, %d channels to %d Hz, %d "
                        "channels at sample %lld",
                        s->path, s->in_rate, s->in_channels, f->sample_rate, C,
                        (long long)s->out->n);
    }
    if (!s->swr || f->format != s->in_format) VCT_TRY(ff_setup_swr(s, f, err));
    int want = swr_get_out_samples(s->swr, f->nb_samples);
    if (want < 0)
        return vct_fail(err, VCT_STATUS_BACKEND, "%s: libswresample: %s", s->path,
                        ff_errstr(want, eb, sizeof eb));
    if (want > s->s16_cap) {
        int16_t *p = realloc(s->s16, (size_t)want * (size_t)C * sizeof *p);
        if (!p) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", s->path);
        s->s16 = p;
        s->s16_cap = want;
    }
    uint8_t *dst[1] = {(uint8_t *)s->s16};
    int got = swr_convert(s->swr, dst, want, (const uint8_t **)f->extended_data, f->nb_samples);
    if (got < 0)
        return vct_fail(err, VCT_STATUS_BACKEND, "%s: libswresample: %s", s->path,
                        ff_errstr(got, eb, sizeof eb));
    return samples_append_s16(s->out, &s->cap, s->s16, got, s->path, err);
}

/* send one packet (NULL flushes) and take every frame that comes out */
static vct_status ff_decode(ff_state *s, const AVPacket *pkt, vct_error *err) {
    char eb[128];
    int rc = avcodec_send_packet(s->ctx, pkt);
    if (rc < 0 && rc != AVERROR_EOF) {
        if (rc == AVERROR(ENOMEM))
            return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory in the decoder", s->path);
        s->out->damaged_packets++;
        log_debug("%s: decoder rejected a packet after sample %lld: %s", s->path,
                  (long long)s->out->n, ff_errstr(rc, eb, sizeof eb));
        return VCT_STATUS_OK;
    }
    for (;;) {
        rc = avcodec_receive_frame(s->ctx, s->frame);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) break;
        if (rc < 0) {
            if (rc == AVERROR(ENOMEM))
                return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory in the decoder",
                                s->path);
            s->out->damaged_packets++;
            log_debug("%s: decoding failed after sample %lld: %s", s->path, (long long)s->out->n,
                      ff_errstr(rc, eb, sizeof eb));
            break;
        }
        vct_status st = ff_take_frame(s, s->frame, err);
        av_frame_unref(s->frame);
        if (st != VCT_STATUS_OK) return st;
    }
    return VCT_STATUS_OK;
}

static const char *media_type_name(enum AVMediaType t) {
    const char *n = av_get_media_type_string(t);
    return n ? n : "unknown";
}

vct_status audio_stream_decoder_open(audio_stream_decoder **dec_out, AVFormatContext *fmt, const char *path,
                                     audio_samples *out, int *stream, vct_error *err) {
    char eb[128];
    *dec_out = NULL;
    memset(out, 0, sizeof *out);
    ff_state *s = calloc(1, sizeof *s);
    if (!s) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    s->path = path;
    s->out = out;
    vct_status st = VCT_STATUS_OK;
    const AVCodec *dec = NULL;
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &dec, 0);
    if (si == AVERROR_STREAM_NOT_FOUND) {
        char kinds[256] = "";
        size_t used = 0;
        for (unsigned i = 0; i < fmt->nb_streams && used < sizeof kinds; i++)
            used += (size_t)snprintf(kinds + used, sizeof kinds - used, "%s%s", i ? ", " : "",
                                     media_type_name(fmt->streams[i]->codecpar->codec_type));
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: no audio stream (the file has %u stream%s%s%s)",
                      path, fmt->nb_streams, fmt->nb_streams == 1 ? "" : "s",
                      fmt->nb_streams ? ": " : "", kinds);
        goto fail;
    }
    if (si < 0 || !dec) {
        int any = -1;
        for (unsigned i = 0; i < fmt->nb_streams; i++)
            if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) any = (int)i;
        st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: no decoder for the audio codec %s", path,
                      any >= 0 ? avcodec_get_name(fmt->streams[any]->codecpar->codec_id) : "?");
        goto fail;
    }
    AVStream *as = fmt->streams[si];
    s->ctx = avcodec_alloc_context3(dec);
    s->frame = av_frame_alloc();
    if (!s->ctx || !s->frame) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    int rc = avcodec_parameters_to_context(s->ctx, as->codecpar);
    if (rc >= 0) {
        s->ctx->pkt_timebase = as->time_base;
        rc = avcodec_open2(s->ctx, dec, NULL);
    }
    if (rc < 0) {
        st = vct_fail(err, VCT_STATUS_BACKEND, "%s: cannot open the %s decoder: %s", path,
                      dec->name, ff_errstr(rc, eb, sizeof eb));
        goto fail;
    }
    set_str(out->reader, sizeof out->reader, "ffmpeg");
    set_str(out->codec, sizeof out->codec, dec->name);
    *stream = si;
    *dec_out = s;
    return VCT_STATUS_OK;
fail:
    audio_stream_decoder_free(s);
    return st;
}

vct_status audio_stream_decoder_packet(audio_stream_decoder *dec, const AVPacket *pkt, vct_error *err) {
    return ff_decode(dec, pkt, err);
}

vct_status audio_stream_decoder_finish(audio_stream_decoder *dec, int read_rc, vct_error *err) {
    char eb[128];
    ff_state *s = dec;
    audio_samples *out = s->out;
    if (read_rc != AVERROR_EOF) {
        out->truncated = 1;
        log_warn("%s: read error after %lld samples (%s); keeping what was decoded", s->path,
                 (long long)out->n, ff_errstr(read_rc, eb, sizeof eb));
    }
    VCT_TRY(ff_decode(s, NULL, err)); /* flush the decoder */
    if (s->swr) { /* same rate in and out: nothing is buffered, but drain to be sure */
        for (;;) {
            uint8_t *dst[1] = {(uint8_t *)s->s16};
            int got = s->s16_cap > 0 ? swr_convert(s->swr, dst, s->s16_cap, NULL, 0) : 0;
            if (got <= 0) break;
            VCT_TRY(samples_append_s16(out, &s->cap, s->s16, got, s->path, err));
        }
    }
    if (out->damaged_packets > 0)
        log_warn("%s: skipped %lld damaged audio packet%s (decoded %lld samples)", s->path,
                 (long long)out->damaged_packets, out->damaged_packets == 1 ? "" : "s",
                 (long long)out->n);
    if (out->n == 0)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: no audio samples could be decoded (%s, %s)", s->path,
                        out->reader, out->codec);
    return VCT_STATUS_OK;
}

void audio_stream_decoder_free(audio_stream_decoder *dec) {
    if (!dec) return;
    swr_free(&dec->swr);
    free(dec->s16);
    av_frame_free(&dec->frame);
    avcodec_free_context(&dec->ctx);
    free(dec);
}

static vct_status decode_ffmpeg(const char *path, audio_samples *out, vct_error *err) {
    char eb[128];
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = NULL;
    audio_stream_decoder *dec = NULL;
    vct_status st = VCT_STATUS_OK;
    int si = -1;
    int rc = avformat_open_input(&fmt, path, NULL, NULL);
    if (rc < 0) {
        st = vct_fail(err, rc == AVERROR(ENOENT) || rc == AVERROR(EACCES) ? VCT_STATUS_IO
                                                                          : VCT_STATUS_FORMAT,
                      "%s: cannot open as audio or video: %s", path, ff_errstr(rc, eb, sizeof eb));
        goto done;
    }
    rc = avformat_find_stream_info(fmt, NULL);
    if (rc < 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: cannot read the stream info: %s", path,
                      ff_errstr(rc, eb, sizeof eb));
        goto done;
    }
    st = audio_stream_decoder_open(&dec, fmt, path, out, &si, err);
    if (st != VCT_STATUS_OK) goto done;
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != si) fmt->streams[i]->discard = AVDISCARD_ALL;
    if (!(pkt = av_packet_alloc())) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto done;
    }
    for (;;) {
        rc = av_read_frame(fmt, pkt);
        if (rc < 0) break;
        if (pkt->stream_index == si) st = audio_stream_decoder_packet(dec, pkt, err);
        av_packet_unref(pkt);
        if (st != VCT_STATUS_OK) goto done;
    }
    st = audio_stream_decoder_finish(dec, rc, err);
done:
    audio_stream_decoder_free(dec);
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return st;
}

vct_status audio_decode(const char *path, audio_pcm *out, vct_error *err) {
    audio_decode_params p = audio_decode_default_params();
    return audio_decode_ex(path, &p, out, err);
}

vct_status audio_decode_samples(const char *path, const audio_decode_params *params, audio_samples *out,
                                vct_error *err) {
    if (!out) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio_decode: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio_decode: path is NULL");
    audio_decode_params def = audio_decode_default_params();
    if (!params) params = &def;
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    int c = fgetc(f), read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno) return vct_fail(err, VCT_STATUS_IO, "%s: cannot read: %s", path, strerror(read_errno));
    if (c == EOF) return vct_fail(err, VCT_STATUS_FORMAT, "%s: empty file", path);
    vct_status st;
    int r = decode_sndfile(path, params, out, err);
    if (r < 0) {
        st = err ? err->status : VCT_STATUS_FORMAT;
        goto fail;
    }
    if (r == 0) {
        st = decode_ffmpeg(path, out, err);
        if (st != VCT_STATUS_OK) goto fail;
    }
    if (out->n == 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: no audio samples could be decoded (%s, %s)", path,
                      out->reader, out->codec);
        goto fail;
    }
    return VCT_STATUS_OK;
fail:
    audio_samples_free(out);
    return st;
}

vct_status audio_decode_ex(const char *path, const audio_decode_params *params, audio_pcm *out,
                           vct_error *err) {
    if (!out) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio_decode: out is NULL");
    memset(out, 0, sizeof *out);
    audio_samples s;
    VCT_TRY(audio_decode_samples(path, params, &s, err));
    vct_status st = audio_mono_alloc(&out->samples, s.data, s.n, s.channels, path, err);
    if (st == VCT_STATUS_OK) {
        out->n = s.n;
        out->sample_rate = s.sample_rate;
        out->channels = s.channels;
        memcpy(out->reader, s.reader, sizeof out->reader);
        memcpy(out->codec, s.codec, sizeof out->codec);
        out->damaged_packets = s.damaged_packets;
        out->truncated = s.truncated;
    }
    audio_samples_free(&s);
    return st;
}
