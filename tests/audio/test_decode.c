/* test_decode.c: audio_decode against the official reader (tests/ref/gen_audio.py).
 *  - every committed WAV (8-48 kHz; int16, 24-bit, float; mono, stereo, 3 channels;
 *    full scale): the mono doubles equal what soundfile.read(dtype=int16)/32768 and
 *    numpy's channel mean give, exactly (atol 0), and the rate/channel count match;
 *  - float WAV: the default reproduces the official near-silence; AUDIO_FLOAT_WAV_SCALE
 *    equals the `ffmpeg -c:a pcm_s16le` conversion;
 *  - flac, mp3, aac/m4a, ogg/vorbis, opus, 6-channel ac3, and the audio of
 *    mp4/mkv/webm/avi: equal to what the official code reads from the WAV the ffmpeg
 *    tool extracts (atol 0);
 *  - float WAV with NaN: refused; with +-Inf: clipped like soundfile; a WAV cut short of
 *    its header: what it holds, flagged truncated;
 *  - bad inputs: a video without audio, a truncated mp3 (decodes, with what the
 *    ffmpeg tool gets), a missing file, an empty file, a text file: status and a
 *    message naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/decode.h"
#include "audio_ref.h"
#include "core/log.h"

static void check_meta(const char *name, const audio_pcm *p, const tensor_dict *d, const char *stem) {
    int64_t n = 0;
    const int64_t *rate = ar_i64(d, stem, "rate", &n);
    if (!rate || n != 2) return;
    char what[256];
    snprintf(what, sizeof what, "%s rate/channels", name);
    tl_expect(p->sample_rate == rate[0] && p->channels == rate[1], what,
              "got %d Hz x%d, reference %lld Hz x%lld", p->sample_rate, p->channels,
              (long long)rate[0], (long long)rate[1]);
}

static void test_wavs(void) {
    tensor_dict d;
    if (tl_ref_open("audio_wav", &d)) return;
    ar_stem stems[AR_MAX_STEMS];
    int ns = ar_stems(&d, stems, AR_MAX_STEMS);
    tl_expect(ns >= 12, "wav: reference covers >= 12 files", "only %d", ns);
    for (int i = 0; i < ns; i++) {
        char path[512], name[256];
        snprintf(path, sizeof path, "%s/%.127s.wav", AR_MEDIA, stems[i].s);
        snprintf(name, sizeof name, "decode %.127s", stems[i].s);
        audio_pcm p;
        vct_error err = {0};
        if (audio_decode(path, &p, &err) != VCT_STATUS_OK) {
            tl_fail(name, "%s", err.msg);
            continue;
        }
        char what[300];
        snprintf(what, sizeof what, "%s read by libsndfile", name);
        tl_expect(!strcmp(p.reader, "libsndfile"), what, "read by %s", p.reader);
        check_meta(name, &p, &d, stems[i].s);
        char key[256];
        snprintf(key, sizeof key, "%.127s.decoded", stems[i].s);
        ar_check_wave(name, p.samples, p.n, &d, key, 0.0, NULL);
        audio_pcm_free(&p);
    }
    /* float WAV: scaled like ffmpeg's pcm_s16le conversion on request */
    {
        const char *stem = "audio_16k_chirp_f32_mono";
        char path[512];
        snprintf(path, sizeof path, "%s/%s.wav", AR_MEDIA, stem);
        audio_decode_params prm = audio_decode_default_params();
        prm.float_wav = AUDIO_FLOAT_WAV_SCALE;
        audio_pcm p;
        vct_error err = {0};
        if (audio_decode_ex(path, &prm, &p, &err) != VCT_STATUS_OK) {
            tl_fail("decode float WAV scaled", "%s", err.msg);
        } else {
            char key[256];
            snprintf(key, sizeof key, "%s.scaled", stem);
            ar_check_wave("decode float WAV scaled (ffmpeg pcm_s16le)", p.samples, p.n, &d, key,
                          0.0, NULL);
            double peak = 0;
            for (int64_t k = 0; k < p.n; k++) peak = fmax(peak, fabs(p.samples[k]));
            tl_expect(peak > 0.5, "decode float WAV scaled is not silent", "peak %g", peak);
            audio_pcm_free(&p);
        }
    }
    tensor_dict_free(&d);
}

static void test_containers(void) {
    tensor_dict d;
    if (tl_ref_open("audio_containers", &d)) return;
    ar_stem stems[AR_MAX_STEMS];
    int ns = ar_stems(&d, stems, AR_MAX_STEMS);
    tl_expect(ns >= 10, "containers: reference covers >= 10 files", "only %d", ns);
    for (int i = 0; i < ns; i++) {
        char path[512], name[256];
        snprintf(name, sizeof name, "decode %.127s", stems[i].s);
        if (ar_media_path(stems[i].s, path, sizeof path)) {
            tl_fail(name, "no media file %s/%s.*", AR_MEDIA, stems[i].s);
            continue;
        }
        audio_pcm p;
        vct_error err = {0};
        if (audio_decode(path, &p, &err) != VCT_STATUS_OK) {
            tl_fail(name, "%s", err.msg);
            continue;
        }
        check_meta(name, &p, &d, stems[i].s);
        char key[256];
        snprintf(key, sizeof key, "%.127s.decoded", stems[i].s);
        printf("  %s: %s/%s, %d Hz x%d, %lld samples, %lld damaged packets%s\n", path, p.reader,
               p.codec, p.sample_rate, p.channels, (long long)p.n, (long long)p.damaged_packets,
               p.truncated ? ", truncated" : "");
        ar_check_wave(name, p.samples, p.n, &d, key, 0.0, NULL);
        audio_pcm_free(&p);
    }
    tensor_dict_free(&d);
}

static void expect_error(const char *name, const char *path, vct_status want, const char *needle) {
    audio_pcm p;
    vct_error err = {0};
    vct_status st = audio_decode(path, &p, &err);
    if (st == VCT_STATUS_OK) {
        tl_fail(name, "decoded %lld samples, expected an error", (long long)p.n);
        audio_pcm_free(&p);
        return;
    }
    tl_expect(st == want, name, "status %s, expected %s (%s)", vct_status_name(st),
              vct_status_name(want), err.msg);
    char what[300];
    snprintf(what, sizeof what, "%s: message names the file and the problem", name);
    tl_expect(strstr(err.msg, path) && (!needle || strstr(err.msg, needle)), what, "message: %s",
              err.msg);
    tl_expect(p.samples == NULL && p.n == 0, "failed decode leaves an empty pcm", "n %lld",
              (long long)p.n);
    printf("  %s -> %s: %s\n", path, vct_status_name(st), err.msg);
}

static void test_bad(void) {
    expect_error("no audio stream", AR_MEDIA "/audio_bad_noaudio.mkv", VCT_STATUS_FORMAT,
                 "no audio stream");
    expect_error("missing file", AR_MEDIA "/no_such_file.wav", VCT_STATUS_IO, "cannot open");
    char tmpl[] = "/tmp/vct_audio_empty_XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) {
        close(fd);
        expect_error("empty file", tmpl, VCT_STATUS_FORMAT, "empty");
        unlink(tmpl);
    }
    char tmpl2[] = "/tmp/vct_audio_text_XXXXXX";
    fd = mkstemp(tmpl2);
    if (fd >= 0) {
        const char *txt = "this is not audio, just a few words of text\n";
        if (write(fd, txt, strlen(txt)) < 0) perror("write");
        close(fd);
        expect_error("text file", tmpl2, VCT_STATUS_FORMAT, NULL);
        unlink(tmpl2);
    }
    /* the truncated mp3 is in the container reference: it must decode (warning only) */
    audio_pcm p;
    vct_error err = {0};
    vct_status st = audio_decode(AR_MEDIA "/audio_bad_truncated.mp3", &p, &err);
    if (tl_expect(st == VCT_STATUS_OK, "truncated mp3 decodes", "%s", err.msg)) {
        audio_pcm_free(&p);
    }
    /* a NULL out is refused, not a crash */
    tl_expect(audio_decode(AR_MEDIA "/audio_c_mp3.mp3", NULL, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "NULL out refused", "%s", err.msg);
}

/* a 16 kHz mono WAV: 44-byte header claiming `claim` data bytes, then `bytes` of data */
static int write_wav16k(const char *path, int fmt, int bits, const void *data, uint32_t bytes, uint32_t claim) {
    unsigned char h[44];
    const uint32_t rate = 16000, ba = (uint32_t)bits / 8;
    const uint32_t v[] = {36 + claim, 16, rate, rate * ba, claim};
    memcpy(h, "RIFF", 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    memcpy(h + 36, "data", 4);
    const int at[] = {4, 16, 24, 28, 40};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < 4; i++) h[at[k] + i] = (unsigned char)(v[k] >> (8 * i));
    const uint16_t w[] = {(uint16_t)fmt, 1, (uint16_t)ba, (uint16_t)bits};
    const int at2[] = {20, 22, 32, 34};
    for (int k = 0; k < 4; k++) {
        h[at2[k]] = (unsigned char)w[k];
        h[at2[k] + 1] = (unsigned char)(w[k] >> 8);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(h, 1, 44, f) == 44 && fwrite(data, 1, bytes, f) == bytes;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* float WAV: NaN refused (the official int16 conversion of NaN is undefined), +-Inf
 * clipped as soundfile does; a WAV holding less data than its header says: decoded
 * with truncated = 1 */
static void test_float_special_and_cut(void) {
    enum { n = 2000 };
    static float x[n];
    char path[] = "/tmp/vct_audio_wav_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        tl_fail("float specials", "mkstemp");
        return;
    }
    close(fd);
    for (int i = 0; i < n; i++) x[i] = (float)(i % 7) - 3.0f; /* integer values: read as is */
    x[1234] = NAN;
    if (write_wav16k(path, 3, 32, x, sizeof x, sizeof x) == 0) {
        expect_error("float WAV with a NaN", path, VCT_STATUS_FORMAT, "float sample 1234 (channel 0) is NaN");
        audio_decode_params prm = audio_decode_default_params();
        prm.float_wav = AUDIO_FLOAT_WAV_SCALE;
        audio_pcm p;
        vct_error err = {0};
        tl_expect(audio_decode_ex(path, &prm, &p, &err) == VCT_STATUS_FORMAT && strstr(err.msg, "NaN"),
                  "float WAV with a NaN, scaled mode: refused too", "%s", err.msg);
        audio_pcm_free(&p);
    }
    x[1234] = INFINITY;
    x[1235] = -INFINITY;
    audio_pcm p;
    vct_error err = {0};
    if (write_wav16k(path, 3, 32, x, sizeof x, sizeof x) == 0 && audio_decode(path, &p, &err) == VCT_STATUS_OK) {
        int ok = p.n == n && p.samples[1234] == 32767.0 / 32768.0 && p.samples[1235] == -1.0;
        for (int i = 0; i < n && ok; i++)
            if (i != 1234 && i != 1235) ok = p.samples[i] == (double)x[i] / 32768.0;
        tl_expect(ok, "float WAV with +-Inf: clipped to 32767/-32768, the rest as is", "n %lld", (long long)p.n);
        audio_pcm_free(&p);
    } else {
        tl_fail("float WAV with +-Inf", "%s", err.msg);
    }
    static short s[n];
    for (int i = 0; i < n; i++) s[i] = (short)(i * 13 - 9000);
    if (write_wav16k(path, 1, 16, s, sizeof s, 4 * sizeof s) == 0 && audio_decode(path, &p, &err) == VCT_STATUS_OK) {
        int ok = p.n == n && p.truncated == 1;
        for (int i = 0; i < n && ok; i++) ok = p.samples[i] == s[i] / 32768.0;
        tl_expect(ok, "WAV cut short of its header: the samples it holds, truncated = 1", "n %lld truncated %d",
                  (long long)p.n, p.truncated);
        audio_pcm_free(&p);
    } else {
        tl_fail("WAV cut short of its header", "%s", err.msg);
    }
    if (write_wav16k(path, 1, 16, s, sizeof s, sizeof s) == 0 && audio_decode(path, &p, &err) == VCT_STATUS_OK) {
        tl_expect(p.n == n && p.truncated == 0, "complete WAV: not truncated", "n %lld truncated %d",
                  (long long)p.n, p.truncated);
        audio_pcm_free(&p);
    }
    unlink(path);
}

int main(void) {
    log_set_level(VCT_LOG_WARN);
    test_wavs();
    test_containers();
    test_bad();
    test_float_special_and_cut();
    return tl_summary("audio/decode");
}
