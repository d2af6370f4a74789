/* test_coverage.c: the whole front end (decode -> resample -> log-mel -> examples)
 * against the OFFICIAL wavfile_to_examples on the coverage set of
 * tests/ref/gen_audio.py (audio_coverage / audio_long.safetensors):
 *   signals   sine, chirp, white noise (generated here from integer formulas, exactly
 *             as gen_audio.py does), espeak-ng speech and a fluidsynth piano note
 *             (committed FLAC sources, tiled to the duration);
 *   rates     8, 11.025, 16, 22.05, 32, 44.1, 48 kHz; mono and stereo;
 *   formats   int16, 24-bit and float WAV, written here byte for byte as the
 *             generator wrote them (checked with a checksum of the data chunk);
 *   durations 0.96 s, 5 s, 10 s, 13.7 s and the sources' own;
 *   containers mp3, opus, aac (m4a), ac3 and the FLAC sources: decoded here by
 *             FFmpeg; the official reference is the same audio decoded to WAV by the
 *             ffmpeg tool.
 * Per entry: the decoded mono samples exactly (atol 0), the float64 log-mel on 16+
 * stored frames (first, second, last, spread) within LOGMEL_ATOL plus the sum and
 * sum of squares of every frame, the frame and example counts, and for the 10 s and
 * 13.7 s chirps every float32 example. Prints the table that docs/audio.md carries. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/decode.h"
#include "audio/mel.h"
#include "audio/resample.h"
#include "audio_ref.h"
#include "core/log.h"

#define LOGMEL_ATOL 1e-9  /* as test_mel.c: measured ~1e-12 */
#define EXAMPLE_ATOL 1e-4 /* the acceptance bound (log units) */
#define ROW ((int64_t)VGGISH_EXAMPLE_FRAMES * VGGISH_BANDS)

enum { K_SINE, K_CHIRP, K_NOISE, K_FILE, K_CONTAINER };
enum { F_S16, F_S24, F_F32 };
static const char *KIND_NAME[] = {"sine", "chirp", "noise", "file", "container"};
static const char *FMT_NAME[] = {"int16", "24-bit", "float"};

/* ---- the generator's formulas (gen_audio.py synth / cov_pcm / wav_bytes) ---------------- */

static double parabolic_sine(uint64_t ph) {
    int64_t s = (int64_t)(ph & 0xFFFFFFFFu);
    if (s >= (INT64_C(1) << 31)) s -= INT64_C(1) << 32;
    double x = (double)s / 2147483648.0;
    double y = 4.0 * x * (1.0 - fabs(x));
    return 0.225 * (y * fabs(y) - y) + y;
}

static double synth(int kind, int rate, int C, int64_t n, int64_t t, int c) {
    if (kind == K_SINE) {
        uint64_t inc = ((uint64_t)(440 + 1000 * c) << 32) / (uint64_t)rate;
        return parabolic_sine((uint64_t)t * inc);
    }
    if (kind == K_CHIRP) {
        int64_t lo = (INT64_C(50) << 32) / rate, hi = ((int64_t)rate * 45 << 32) / (100 * (int64_t)rate);
        int64_t d = (hi - lo) / n, inc0 = lo; /* positive operands: / is the generator's // */
        if (c == 1) {
            inc0 = hi;
            d = -d;
        }
        return parabolic_sine((uint64_t)t * (uint64_t)inc0 + (uint64_t)d * (uint64_t)(t * (t - 1) / 2));
    }
    uint64_t z = (uint64_t)(t * C + c + 12345) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 4503599627370496.0) - 1.0;
}

typedef struct src_pcm {
    short *k; /* [L, C] interleaved */
    int64_t L;
    int C, rate;
} src_pcm;

/* the committed source through libsndfile's int16 read (what soundfile.read gives) */
static int read_source(const char *file, src_pcm *s) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", AR_MEDIA, file);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) return -1;
    s->L = info.frames;
    s->C = info.channels;
    s->rate = info.samplerate;
    s->k = malloc((size_t)(s->L * s->C) * sizeof *s->k);
    int ok = s->k && sf_readf_short(f, s->k, s->L) == s->L;
    sf_close(f);
    return ok ? 0 : -1;
}

static void put_le(unsigned char *p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* the data chunk of an entry; NULL on failure (a test failure is recorded) */
static unsigned char *entry_data(const char *stem, int kind, int rate, int C, int fmt, int64_t n,
                                 const char *source, int64_t *bytes) {
    const int bps = fmt == F_S16 ? 2 : fmt == F_S24 ? 3 : 4;
    src_pcm s = {0};
    if (kind == K_FILE) {
        if (!source || read_source(source, &s) || s.rate != rate || s.C < 1 || s.C > 2) {
            tl_fail(stem, "cannot read source %s at %d Hz", source ? source : "(none)", rate);
            free(s.k);
            return NULL;
        }
    }
    *bytes = n * C * bps;
    unsigned char *d = malloc((size_t)*bytes);
    if (!d) {
        free(s.k);
        tl_fail(stem, "out of memory");
        return NULL;
    }
    const double g = fmt == F_F32 ? 0.999 : kind == K_CHIRP ? 0.7 : 0.5;
    for (int64_t t = 0; t < n; t++) {
        for (int c = 0; c < C; c++) {
            unsigned char *p = d + (t * C + c) * bps;
            if (kind != K_FILE) {
                double y = synth(kind, rate, C, n, t, c) * g;
                if (fmt == F_S16) put_le(p, (uint64_t)(int64_t)floor(y * 32767.0 + 0.5), 2);
                else if (fmt == F_S24) put_le(p, (uint64_t)(int64_t)floor(y * 8388607.0 + 0.5), 3);
                else {
                    float f = (float)y;
                    uint32_t u;
                    memcpy(&u, &f, 4);
                    put_le(p, u, 4);
                }
                continue;
            }
            /* tiled source; a mono source becomes stereo with the right channel delayed by
             * 37 samples, a stereo one mono by keeping the left */
            int64_t k;
            if (s.C == 1 && c == 1) k = t >= 37 ? s.k[(t - 37) % s.L] : 0;
            else k = s.k[(t % s.L) * s.C + c];
            if (fmt == F_S16) put_le(p, (uint64_t)k, 2);
            else if (fmt == F_S24) put_le(p, (uint64_t)(k * 256 + ((t * 7 + 3 * c) & 255)), 3);
            else {
                float f = (float)((double)k / 32768.0);
                uint32_t u;
                memcpy(&u, &f, 4);
                put_le(p, u, 4);
            }
        }
    }
    free(s.k);
    return d;
}

static int write_wav(const char *path, const unsigned char *data, int64_t bytes, int rate, int C, int fmt) {
    const int bits = fmt == F_S16 ? 16 : fmt == F_S24 ? 24 : 32, ba = C * bits / 8;
    unsigned char h[58];
    int hn = 0, fmt_len = fmt == F_F32 ? 18 : 16;
    memcpy(h, "RIFF", 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le(h + 16, (uint64_t)fmt_len, 4);
    put_le(h + 20, fmt == F_F32 ? 3 : 1, 2);
    put_le(h + 22, (uint64_t)C, 2);
    put_le(h + 24, (uint64_t)rate, 4);
    put_le(h + 28, (uint64_t)rate * (uint64_t)ba, 4);
    put_le(h + 32, (uint64_t)ba, 2);
    put_le(h + 34, (uint64_t)bits, 2);
    hn = 36;
    if (fmt == F_F32) {
        put_le(h + 36, 0, 2); /* cbSize */
        memcpy(h + 38, "fact", 4);
        put_le(h + 42, 4, 4);
        put_le(h + 46, (uint64_t)(bytes / ba), 4);
        hn = 50;
    }
    memcpy(h + hn, "data", 4);
    put_le(h + hn + 4, (uint64_t)bytes, 4);
    hn += 8;
    int pad = (int)(bytes & 1);
    put_le(h + 4, (uint64_t)(hn - 8 + bytes + pad), 4);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(h, 1, (size_t)hn, f) == (size_t)hn && fwrite(data, 1, (size_t)bytes, f) == (size_t)bytes &&
             (!pad || fputc(0, f) == 0);
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* ---- one entry -------------------------------------------------------------------------- */

typedef struct row_stats {
    double worst16, worst_rs, worst_cont, worst_ex;
    int n16, nrs, ncont, nlong;
    int kinds[5], rates[7], fmts[3], chans[3], durs[4];
} row_stats;

static row_stats ST;

static double compare_logmel(const char *stem, const double *lm, int64_t nf, const tensor_dict *d,
                             int64_t *compared) {
    int64_t nn = 0, ni = 0, nr = 0, ns = 0;
    const int64_t *nref = ar_i64(d, stem, "logmel_n", &nn);
    char name[300];
    snprintf(name, sizeof name, "%s log-mel", stem);
    if (!nref || nn != 1 || nref[0] != nf) {
        tl_fail(name, "%lld frames, official %lld", (long long)nf, nref ? (long long)nref[0] : -1LL);
        return INFINITY;
    }
    const int64_t *idx = ar_i64(d, stem, "logmel_idx", &ni);
    const double *rows = ar_f64(d, stem, "logmel_rows", &nr);
    const double *sum = ar_f64(d, stem, "logmel_sum", &ns);
    if (!idx || !rows || !sum || nr != ni * VGGISH_BANDS || ns != 2) {
        tl_fail(name, "reference incomplete");
        return INFINITY;
    }
    double worst = 0, s = 0, s2 = 0;
    for (int64_t r = 0; r < ni; r++) {
        if (idx[r] < 0 || idx[r] >= nf) {
            tl_fail(name, "reference frame %lld out of range", (long long)idx[r]);
            return INFINITY;
        }
        for (int j = 0; j < VGGISH_BANDS; j++) {
            double e = fabs(lm[idx[r] * VGGISH_BANDS + j] - rows[r * VGGISH_BANDS + j]);
            if (!(e <= worst)) worst = e;
        }
    }
    for (int64_t i = 0; i < nf * VGGISH_BANDS; i++) {
        s += lm[i];
        s2 += lm[i] * lm[i];
    }
    /* every frame: the sums within n * atol (plus numpy's pairwise rounding) */
    double n = (double)(nf * VGGISH_BANDS);
    int sums_ok = fabs(s - sum[0]) <= n * LOGMEL_ATOL + 1e-12 * n * 10 &&
                  fabs(s2 - sum[1]) <= n * LOGMEL_ATOL * 40 + 1e-12 * sum[1];
    tl_expect(worst <= LOGMEL_ATOL && sums_ok, name,
              "max |diff| %.3g on %lld frames (atol %.3g); sums %.17g %.17g, official %.17g %.17g", worst,
              (long long)ni, LOGMEL_ATOL, s, s2, sum[0], sum[1]);
    *compared = ni;
    return worst;
}

static int rate_index(int r) {
    static const int R[7] = {8000, 11025, 16000, 22050, 32000, 44100, 48000};
    for (int i = 0; i < 7; i++)
        if (R[i] == r) return i;
    return -1;
}

static void run_entry(const char *stem, const tensor_dict *d, const tensor_dict *dl, const char *tmpdir) {
    int64_t ns = 0;
    const int64_t *spec = ar_i64(d, stem, "spec", &ns);
    if (!spec || ns != 5 || spec[0] < 0 || spec[0] > K_CONTAINER) {
        tl_fail(stem, "bad spec");
        return;
    }
    const int kind = (int)spec[0], rate = (int)spec[1], C = (int)spec[2], fmt = (int)spec[3];
    const int64_t n = spec[4];
    char key[400], path[600];
    snprintf(key, sizeof key, "%s.source", stem);
    const char *source = tensor_dict_get_meta(d, key);
    unsigned char *data = NULL;
    if (kind == K_CONTAINER) {
        if (!source) {
            tl_fail(stem, "no source file in the reference");
            return;
        }
        snprintf(path, sizeof path, "%s/%s", AR_MEDIA, source);
    } else {
        int64_t bytes = 0, nc = 0;
        if (fmt < F_S16 || fmt > F_F32 || C < 1 || C > 2 || n < 1) {
            tl_fail(stem, "bad spec");
            return;
        }
        data = entry_data(stem, kind, rate, C, fmt, n, source, &bytes);
        if (!data) return;
        /* the checksum says these are the generator's bytes */
        const int64_t *sum = ar_i64(d, stem, "wavsum", &nc);
        uint64_t s1 = 0, s2 = 0;
        for (int64_t i = 0; i < bytes; i++) {
            s1 += data[i];
            s2 += (uint64_t)(i + 1) * data[i];
        }
        char nm[300];
        snprintf(nm, sizeof nm, "%s WAV data equals the generator's", stem);
        tl_expect(sum && nc == 2 && (uint64_t)sum[0] == s1 && (uint64_t)sum[1] == s2, nm, "checksum differs");
        snprintf(path, sizeof path, "%s/%s.wav", tmpdir, stem);
        if (write_wav(path, data, bytes, rate, C, fmt)) {
            tl_fail(stem, "cannot write %s", path);
            free(data);
            return;
        }
        free(data);
    }
    audio_pcm p;
    vct_error err = {0};
    double *y = NULL, *lm = NULL;
    float *ex = NULL;
    if (audio_decode(path, &p, &err) != VCT_STATUS_OK) {
        tl_fail(stem, "%s", err.msg);
        goto done;
    }
    char nm[300];
    snprintf(nm, sizeof nm, "%s decoded (%s)", stem, p.reader);
    snprintf(key, sizeof key, "%s.decoded", stem);
    ar_check_wave(nm, p.samples, p.n, d, key, 0.0, NULL);
    tl_expect(p.sample_rate == rate && p.channels == C, stem, "%d Hz x%d, expected %d Hz x%d", p.sample_rate,
              p.channels, rate, C);
    const double *w = p.samples;
    int64_t S = p.n;
    const int resampled = p.sample_rate != VGGISH_SAMPLE_RATE;
    if (resampled) {
        if (audio_resample_alloc(&y, &S, p.samples, p.n, p.sample_rate, VGGISH_SAMPLE_RATE, &err)) {
            tl_fail(stem, "%s", err.msg);
            goto done;
        }
        w = y;
    }
    const int64_t nf = vggish_num_frames(S), N = vggish_num_examples(S);
    lm = malloc((size_t)(nf > 0 ? nf : 1) * VGGISH_BANDS * sizeof *lm);
    if (!lm || vggish_log_mel(lm, w, S, &err)) {
        tl_fail(stem, "%s", lm ? err.msg : "out of memory");
        goto done;
    }
    int64_t compared = 0, nn = 0;
    double worst = compare_logmel(stem, lm, nf, d, &compared);
    const int64_t *nex = ar_i64(d, stem, "examples_n", &nn);
    tl_expect(nex && nn == 1 && nex[0] == N, stem, "%lld examples, official %lld", (long long)N,
              nex ? (long long)nex[0] : -1LL);
    /* all examples, where stored */
    double worst_ex = -1;
    snprintf(key, sizeof key, "%s.examples", stem);
    if (tensor_dict_find(dl, key)) {
        int64_t m = 0, got = 0;
        const float *want = tl_ref_f32(dl, key, &m);
        ex = malloc((size_t)(N > 0 ? N : 1) * ROW * sizeof *ex);
        if (want && ex && m == N * ROW && !vggish_examples(ex, &got, w, S, &err) && got == N) {
            worst_ex = 0;
            for (int64_t i = 0; i < m; i++) worst_ex = fmax(worst_ex, fabs((double)ex[i] - want[i]));
            snprintf(nm, sizeof nm, "%s: all %lld examples", stem, (long long)N);
            tl_check_close(nm, ex, want, m, EXAMPLE_ATOL, 0.0);
            ST.worst_ex = fmax(ST.worst_ex, worst_ex);
            ST.nlong++;
        } else {
            tl_fail(key, "could not compare: %s", err.msg);
        }
    }
    /* the table row */
    const char *sig = kind == K_FILE || kind == K_CONTAINER ? (strstr(stem, "speech") ? "speech" : "note")
                                                            : KIND_NAME[kind];
    char fmtname[80], dur[32], exs[32];
    if (kind == K_CONTAINER) {
        const char *dot = source ? strrchr(source, '.') : NULL;
        snprintf(fmtname, sizeof fmtname, "%s (%s)", dot ? dot + 1 : "?", p.codec);
    } else {
        snprintf(fmtname, sizeof fmtname, "%s WAV", FMT_NAME[fmt]);
    }
    snprintf(dur, sizeof dur, "%.3g s", (double)p.n / p.sample_rate);
    if (worst_ex >= 0) snprintf(exs, sizeof exs, "%.2g", worst_ex);
    else snprintf(exs, sizeof exs, "-");
    printf("| %s | %.5g | %s | %s | %s | %lld | %lld of %lld | %.2g | %s |\n", sig, p.sample_rate / 1000.0,
           C == 1 ? "mono" : "stereo", fmtname, dur, (long long)N, (long long)compared, (long long)nf, worst, exs);
    if (kind == K_CONTAINER) {
        ST.worst_cont = fmax(ST.worst_cont, worst);
        ST.ncont++;
    } else if (resampled) {
        ST.worst_rs = fmax(ST.worst_rs, worst);
        ST.nrs++;
    } else {
        ST.worst16 = fmax(ST.worst16, worst);
        ST.n16++;
    }
    ST.kinds[kind]++;
    if (rate_index(rate) >= 0) ST.rates[rate_index(rate)]++;
    ST.chans[C > 2 ? 0 : C]++;
    if (kind != K_CONTAINER) ST.fmts[fmt]++;
    static const int64_t DUR_MS[4] = {960, 5000, 10000, 13700};
    for (int i = 0; i < 4; i++)
        if (n * 1000 == DUR_MS[i] * rate) ST.durs[i]++;
done:
    if (kind != K_CONTAINER) unlink(path);
    free(y);
    free(lm);
    free(ex);
    audio_pcm_free(&p);
}

int main(void) {
    log_set_level(VCT_LOG_ERROR);
    tensor_dict d, dl;
    if (tl_ref_open("audio_coverage", &d)) return tl_summary("audio/coverage");
    if (tl_ref_open("audio_long", &dl)) {
        tensor_dict_free(&d);
        return tl_summary("audio/coverage");
    }
    char tmpdir[] = "/tmp/vct_audio_cov_XXXXXX";
    if (!mkdtemp(tmpdir)) {
        tl_fail("mkdtemp", "cannot make a temporary directory");
        goto out;
    }
    ar_stem *stems = malloc(256 * sizeof *stems);
    int ns = stems ? ar_stems(&d, stems, 256) : 0;
    printf("| signal | kHz | channels | format | duration | examples | frames compared | max abs log-mel "
           "error (float64) | max abs error, all examples (float32) |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < ns; i++) run_entry(stems[i].s, &d, &dl, tmpdir);
    free(stems);
    rmdir(tmpdir);
    printf("max abs log-mel error vs official: %.3g (16 kHz WAV, %d), %.3g (resampled WAV, %d), %.3g "
           "(containers, %d); all float32 examples of %d long clips: %.3g\n",
           ST.worst16, ST.n16, ST.worst_rs, ST.nrs, ST.worst_cont, ST.ncont, ST.nlong, ST.worst_ex);
    /* the coverage the issue asks for is really there */
    int rates_ok = 1, durs_ok = 1;
    for (int i = 0; i < 7; i++) rates_ok &= ST.rates[i] > 0;
    for (int i = 0; i < 4; i++) durs_ok &= ST.durs[i] > 0;
    tl_expect(ST.kinds[K_SINE] && ST.kinds[K_CHIRP] && ST.kinds[K_NOISE] && ST.kinds[K_FILE] >= 8 &&
                  ST.kinds[K_CONTAINER] >= 4 && rates_ok && durs_ok && ST.chans[1] && ST.chans[2] &&
                  ST.fmts[F_S16] && ST.fmts[F_S24] && ST.fmts[F_F32] && ST.nlong >= 2 && ST.n16 >= 8 &&
                  ST.nrs >= 16,
              "coverage: signals, rates, channels, formats, durations, containers", "incomplete");
out:
    tensor_dict_free(&d);
    tensor_dict_free(&dl);
    return tl_summary("audio/coverage");
}
