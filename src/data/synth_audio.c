/* synth_audio.c: SynthAVS sounds, the clip's mix, and the audio files: a
 * 16 kHz mono PCM-16 WAV and the official log-mel .pkl.
 *
 * Every class has its own generator (all in C, seeded, so a clip's audio is a
 * pure function of its plan): FM siren, Karplus-Strong plucks, pitched drum
 * strokes, inharmonic bell partials, formant-filtered barks, chirps, rotor AM
 * noise, buzzing engine, keyboard clicks and bowed sawtooth notes with vibrato.
 * A source is normalised to a fixed RMS, gated to its active seconds (15 ms
 * fades), scaled by its gain and summed with a quiet ambient noise; the mix is
 * scaled to the clip's peak and rounded to 16 bits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth.h"
#include "io/atomic_file.h"

#define FS ((double)SYNTH_SAMPLE_RATE)
#define TWO_PI (2.0 * SYNTH_PI)

static double fract(double v) { return v - floor(v); }
static double noise1(synth_rng *r) { return 2.0 * synth_rng_uniform(r) - 1.0; }

/* add a[i] to x[i0 + i] within [0, n) */
static void add_at(double *x, int64_t n, int64_t i0, const double *a, int64_t m) {
    for (int64_t i = 0; i < m; i++)
        if (i0 + i >= 0 && i0 + i < n) x[i0 + i] += a[i];
}

/* RBJ band-pass (constant 0 dB peak gain) over a[m] in place */
static void bandpass(double *a, int64_t m, double f, double q) {
    double w = TWO_PI * f / FS, al = sin(w) / (2 * q), a0 = 1 + al;
    double b0 = al / a0, b2 = -al / a0, a1 = -2 * cos(w) / a0, a2 = (1 - al) / a0;
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (int64_t i = 0; i < m; i++) {
        double y = b0 * a[i] + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1;
        x1 = a[i];
        y2 = y1;
        y1 = y;
        a[i] = y;
    }
}

static void gen_siren(double *x, int64_t n, synth_rng *r) {
    int hilo = synth_rng_uniform(r) < 0.4;
    double f0 = synth_rng_range(r, 550, 780), df = synth_rng_range(r, 300, 600);
    double P = hilo ? synth_rng_range(r, 0.8, 1.2) : synth_rng_range(r, 1.5, 3.0), ph = 0, t0 = synth_rng_range(r, 0, P);
    for (int64_t i = 0; i < n; i++) {
        double t = i / FS + t0;
        double f = hilo ? (fract(t / P) < 0.5 ? f0 : f0 * 1.26) : f0 + df * (0.5 - 0.5 * cos(TWO_PI * t / P));
        ph += TWO_PI * f / FS;
        x[i] = sin(ph) + 0.3 * sin(2 * ph) + 0.15 * sin(3 * ph);
    }
}

static int gen_guitar(double *x, int64_t n, synth_rng *r) {
    static const int steps[] = {0, 3, 5, 7, 10, 12, 15, 17, 19};
    double fb = synth_rng_range(r, 98, 147), t = synth_rng_range(r, 0, 0.2);
    int64_t m = (int64_t)(1.5 * FS);
    double *note = malloc((size_t)m * sizeof *note), buf[1024];
    if (!note) return -1;
    while (t * FS < n) {
        double f = fb * pow(2.0, steps[synth_rng_int(r, 9)] / 12.0), amp = synth_rng_range(r, 0.4, 1.0);
        int L = (int)lround(FS / f);
        if (L > 1024) L = 1024;
        for (int k = 0; k < L; k++) buf[k] = noise1(r);
        for (int k = 0; k < L; k++) buf[k] = 0.5 * (buf[k] + buf[(k + 1) % L]); /* a softer pick */
        for (int64_t i = 0; i < m; i++) {
            int k = (int)(i % L);
            note[i] = amp * buf[k];
            buf[k] = 0.996 * 0.5 * (buf[k] + buf[(k + 1) % L]);
        }
        add_at(x, n, (int64_t)(t * FS), note, m);
        t += synth_rng_range(r, 0.2, 0.5);
    }
    free(note);
    return 0;
}

static void gen_tabla(double *x, int64_t n, synth_rng *r) {
    double f0 = synth_rng_range(r, 140, 260), step = synth_rng_range(r, 0.16, 0.3);
    for (double t = synth_rng_range(r, 0, step); t * FS < n; t += step) {
        if (synth_rng_uniform(r) < 0.3) continue;
        double tau = synth_rng_range(r, 0.06, 0.25), acc = synth_rng_range(r, 0.4, 1.0), f = f0 * synth_rng_range(r, 0.95, 1.3);
        int64_t i0 = (int64_t)(t * FS), m = (int64_t)(6 * tau * FS);
        double ph = 0;
        for (int64_t i = 0; i < m && i0 + i < n; i++) {
            double u = i / FS;
            ph += TWO_PI * f * (1 + 0.6 * exp(-u / 0.02)) / FS;
            x[i0 + i] += acc * (exp(-u / tau) * sin(ph) + 0.5 * exp(-u / 0.004) * noise1(r));
        }
    }
}

static void gen_bell(double *x, int64_t n, synth_rng *r) {
    static const double ratio[4] = {1, 2.76, 5.40, 8.93}, amp[4] = {1, 0.5, 0.25, 0.12}, dec[4] = {0.8, 0.4, 0.2, 0.1};
    static const int scale[] = {0, 2, 4, 7, 9, 12};
    double fb = synth_rng_range(r, 784, 1046);
    for (double t = synth_rng_range(r, 0, 0.3); t * FS < n; t += synth_rng_range(r, 0.35, 0.8)) {
        double f = fb * pow(2.0, scale[synth_rng_int(r, 6)] / 12.0), d = synth_rng_range(r, 0.7, 1.3), a = synth_rng_range(r, 0.5, 1);
        int64_t i0 = (int64_t)(t * FS), m = (int64_t)(2.5 * d * FS);
        for (int p = 0; p < 4; p++) {
            if (f * ratio[p] > 7500) break;
            for (int64_t i = 0; i < m && i0 + i < n; i++) {
                double u = i / FS;
                x[i0 + i] += a * amp[p] * exp(-u / (dec[p] * d)) * sin(TWO_PI * f * ratio[p] * u);
            }
        }
    }
}

static int gen_dog(double *x, int64_t n, synth_rng *r) {
    double f0 = synth_rng_range(r, 350, 650), F = synth_rng_range(r, 800, 1400);
    int64_t m = (int64_t)(0.3 * FS);
    double *b = malloc((size_t)m * sizeof *b);
    if (!b) return -1;
    for (double t = synth_rng_range(r, 0, 0.5); t * FS < n; t += synth_rng_range(r, 0.6, 1.4)) {
        int barks = 1 + synth_rng_int(r, 3);
        double tb = t;
        for (int k = 0; k < barks; k++) {
            double D = synth_rng_range(r, 0.12, 0.25), ph = 0;
            int64_t len = (int64_t)(D * FS);
            memset(b, 0, (size_t)m * sizeof *b);
            for (int64_t i = 0; i < len; i++) {
                double u = i / FS, f = f0 * (1 - 0.3 * u / D);
                ph += f / FS;
                double env = (u < 0.01 ? u / 0.01 : 1) * exp(-u / (0.4 * D));
                b[i] = env * ((2 * fract(ph) - 1) + 0.4 * noise1(r));
            }
            bandpass(b, m, F, 3.0);
            for (int64_t i = 0; i < m; i++) b[i] *= 4;
            add_at(x, n, (int64_t)(tb * FS), b, m);
            tb += D + synth_rng_range(r, 0.08, 0.15);
        }
    }
    free(b);
    return 0;
}

static void gen_bird(double *x, int64_t n, synth_rng *r) {
    for (double t = synth_rng_range(r, 0, 0.4); t * FS < n; t += synth_rng_range(r, 0.5, 1.5)) {
        int chirps = 3 + synth_rng_int(r, 6);
        double tc = t;
        for (int k = 0; k < chirps; k++) {
            double D = synth_rng_range(r, 0.05, 0.15), fa = synth_rng_range(r, 2000, 6000), fb = synth_rng_range(r, 2000, 6000);
            int trill = synth_rng_uniform(r) < 0.25;
            int64_t i0 = (int64_t)(tc * FS), len = (int64_t)(D * FS);
            double ph = 0;
            for (int64_t i = 0; i < len && i0 + i < n; i++) {
                double u = i / FS, f = trill ? fa + 500 * sin(TWO_PI * 30 * u) : fa + (fb - fa) * u / D;
                ph += TWO_PI * f / FS;
                x[i0 + i] += sin(SYNTH_PI * u / D) * (sin(ph) + 0.15 * sin(2 * ph));
            }
            tc += D + synth_rng_range(r, 0.04, 0.12);
        }
    }
}

static void gen_helicopter(double *x, int64_t n, synth_rng *r) {
    double rate = synth_rng_range(r, 10, 20), fh = synth_rng_range(r, 60, 100), lp = 0;
    for (int64_t i = 0; i < n; i++) {
        double t = i / FS, c = 0.5 + 0.5 * cos(TWO_PI * rate * t);
        lp = 0.9 * lp + 0.1 * noise1(r);
        x[i] = (0.3 + 0.7 * c * c * c * c) * lp * 3 + 0.3 * sin(TWO_PI * fh * t);
    }
}

static void gen_mower(double *x, int64_t n, synth_rng *r) {
    double f = synth_rng_range(r, 28, 45), fam = synth_rng_range(r, 3, 7), ph = 0, drift = 0, lp = 0;
    for (int64_t i = 0; i < n; i++) {
        double t = i / FS;
        if (i % 160 == 0) drift = 0.98 * drift + 0.02 * noise1(r);
        ph += f * (1 + 0.1 * drift) / FS;
        double s = (2 * fract(ph) - 1) + 0.5 * (2 * fract(2 * ph) - 1) + 0.2 * noise1(r);
        lp = 0.7 * lp + 0.3 * s;
        x[i] = lp * (1 + 0.3 * sin(TWO_PI * fam * t));
    }
}

static void gen_keyboard(double *x, int64_t n, synth_rng *r) {
    double mean = synth_rng_range(r, 0.08, 0.18);
    for (double t = 0; t * FS < n; t += 0.03 - mean * log(1 - synth_rng_uniform(r))) {
        int space = synth_rng_uniform(r) < 0.05;
        double a = synth_rng_range(r, 0.3, 0.8), prev = 0, lp = 0;
        int64_t i0 = (int64_t)(t * FS), len = (int64_t)((space ? 0.02 : 0.008) * FS);
        for (int64_t i = 0; i < len && i0 + i < n; i++) {
            double v = noise1(r), u = i / FS;
            lp = 0.8 * lp + 0.2 * v;
            x[i0 + i] += a * exp(-u / (space ? 0.006 : 0.002)) * (space ? 3 * lp : v - prev);
            prev = v;
        }
    }
}

static void gen_violin(double *x, int64_t n, synth_rng *r) {
    static const int scale[] = {0, 2, 4, 5, 7, 9, 11, 12, 14, 16};
    double fb = synth_rng_range(r, 294, 392), vib = synth_rng_range(r, 5, 6.5);
    for (double t = 0; t * FS < n;) {
        double D = synth_rng_range(r, 0.3, 0.8), f = fb * pow(2.0, scale[synth_rng_int(r, 10)] / 12.0), ph = 0;
        int64_t i0 = (int64_t)(t * FS), len = (int64_t)(D * FS);
        int K = (int)(7000 / f);
        for (int64_t i = 0; i < len && i0 + i < n; i++) {
            double u = i / FS, env = fmin(1, fmin(u / 0.06, (D - u) / 0.06));
            double fv = f * (1 + (u > 0.15 ? 0.006 * sin(TWO_PI * vib * u) : 0));
            ph += TWO_PI * fv / FS;
            double s = 0;
            for (int k = 1; k <= K; k++) s += sin(k * ph) / k;
            x[i0 + i] += env * (s + 0.05 * noise1(r));
        }
        t += D;
    }
}

vct_status synth_sound_add(double *x, int64_t n, const synth_sound *s, vct_error *err) {
    double *y = calloc((size_t)n, sizeof *y);
    if (!y) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for a %lld-sample sound", (long long)n);
    synth_rng r;
    synth_rng_seed(&r, s->seed, (uint64_t)s->cls);
    int bad = 0;
    switch (s->cls) {
    case 0: gen_siren(y, n, &r); break;
    case 1: bad = gen_guitar(y, n, &r); break;
    case 2: gen_tabla(y, n, &r); break;
    case 3: gen_bell(y, n, &r); break;
    case 4: bad = gen_dog(y, n, &r); break;
    case 5: gen_bird(y, n, &r); break;
    case 6: gen_helicopter(y, n, &r); break;
    case 7: gen_mower(y, n, &r); break;
    case 8: gen_keyboard(y, n, &r); break;
    default: gen_violin(y, n, &r); break;
    }
    if (bad) {
        free(y);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for a %s sound", synth_class_get(s->cls)->name);
    }
    double e = 0;
    for (int64_t i = 0; i < n; i++) e += y[i] * y[i];
    double norm = e > 0 ? 0.15 / sqrt(e / (double)n) : 0, fade = 0.015 * FS;
    for (int64_t i = 0; i < n; i++) {
        int sec = (int)(i / SYNTH_SAMPLE_RATE);
        if (sec >= SYNTH_MAX_FRAMES || !s->active[sec]) continue;
        /* distance to the nearest edge of the active run (fades in and out) */
        int64_t a = (int64_t)sec * SYNTH_SAMPLE_RATE, b = a + SYNTH_SAMPLE_RATE;
        while (a > 0 && s->active[(a - 1) / SYNTH_SAMPLE_RATE]) a -= SYNTH_SAMPLE_RATE;
        while (b < n && (b / SYNTH_SAMPLE_RATE) < SYNTH_MAX_FRAMES && s->active[b / SYNTH_SAMPLE_RATE]) b += SYNTH_SAMPLE_RATE;
        double g = 1;
        if (a > 0 && i - a < fade) g = (i - a) / fade;
        if (b < n && b - i < fade) g = fmin(g, (b - i) / fade);
        x[i] += s->gain * norm * g * y[i];
    }
    free(y);
    return VCT_STATUS_OK;
}

vct_status synth_audio(int16_t *pcm, const synth_clip *c, vct_error *err) {
    int64_t n = (int64_t)c->T * SYNTH_SAMPLE_RATE;
    double *x = calloc((size_t)n, sizeof *x);
    if (!x) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for the audio", c->name);
    for (int s = 0; s < c->n_snd; s++) {
        vct_status st = synth_sound_add(x, n, &c->snd[s], err);
        if (st != VCT_STATUS_OK) {
            free(x);
            return vct_error_wrap(err, "%s", c->name);
        }
    }
    synth_rng r;
    synth_rng_seed(&r, c->seed, 0xa0d10);
    double lp = 0, peak = 0;
    for (int64_t i = 0; i < n; i++) {
        lp = 0.95 * lp + 0.05 * noise1(&r);
        x[i] += c->ambient * 4 * lp;
        if (fabs(x[i]) > peak) peak = fabs(x[i]);
    }
    double g = peak > 0 ? c->peak / peak : 0;
    for (int64_t i = 0; i < n; i++) {
        double v = floor(x[i] * g * 32767.0 + 0.5);
        pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    free(x);
    return VCT_STATUS_OK;
}

/* ---- files ----------------------------------------------------------------------------- */

static void le16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v) {
    le16(p, v & 0xffff);
    le16(p + 2, v >> 16);
}

vct_status synth_write_wav(const char *path, const int16_t *pcm, int64_t n, vct_error *err) {
    size_t bytes = (size_t)n * 2;
    uint8_t *buf = malloc(44 + bytes);
    if (!buf) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    memcpy(buf, "RIFF", 4);
    le32(buf + 4, (uint32_t)(36 + bytes));
    memcpy(buf + 8, "WAVEfmt ", 8);
    le32(buf + 16, 16);
    le16(buf + 20, 1); /* PCM */
    le16(buf + 22, 1); /* mono */
    le32(buf + 24, SYNTH_SAMPLE_RATE);
    le32(buf + 28, SYNTH_SAMPLE_RATE * 2);
    le16(buf + 32, 2);
    le16(buf + 34, 16);
    memcpy(buf + 36, "data", 4);
    le32(buf + 40, (uint32_t)bytes);
    for (int64_t i = 0; i < n; i++) le16(buf + 44 + 2 * i, (uint16_t)pcm[i]);
    atomic_file af;
    vct_status st = atomic_file_open(&af, path, err);
    if (st == VCT_STATUS_OK) {
        st = atomic_file_write(&af, buf, 44 + bytes, err);
        if (st == VCT_STATUS_OK) st = atomic_file_commit(&af, err);
        else atomic_file_abort(&af);
    }
    free(buf);
    return st;
}

/* byte buffer */
typedef struct bbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} bbuf;

static void put(bbuf *b, const void *d, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t nc = (b->n + n) * 2;
        uint8_t *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void put_s(bbuf *b, const char *s) { put(b, s, strlen(s)); }
static void put_u8(bbuf *b, unsigned v) {
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}
static void put_le(bbuf *b, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) put_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}
/* protocol-4 SHORT_BINUNICODE + MEMOIZE */
static void put_short_str(bbuf *b, const char *s) {
    put_u8(b, 0x8c);
    put_u8(b, (unsigned)strlen(s));
    put_s(b, s);
    put_u8(b, 0x94);
}
/* a non-negative int: BININT1 / BININT2 / BININT */
static void put_int(bbuf *b, uint32_t v) {
    if (v < 256) {
        put_u8(b, 'K');
        put_u8(b, v);
    } else if (v < 65536) {
        put_u8(b, 'M');
        put_le(b, v, 2);
    } else {
        put_u8(b, 'J');
        put_le(b, v, 4);
    }
}
/* protocol-2 BINUNICODE 'X' + BINPUT */
static void put_p2_str(bbuf *b, const char *s, unsigned memo) {
    put_u8(b, 'X');
    put_le(b, strlen(s), 4);
    put_s(b, s);
    put_u8(b, 'q');
    put_u8(b, memo);
}

/* The legacy torch.save of a FloatStorage of numel floats (what a storage's
 * __reduce__ hands to torch.storage._load_from_bytes): magic number, protocol
 * version 1001, system info, the storage's persistent id, the key list, then
 * the raw storage (int64 numel + little-endian float32). */
static void put_legacy_storage(bbuf *b, const float *x, uint64_t numel) {
    static const uint8_t magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                    0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
    static const uint8_t proto[] = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};
    const char *key = "0";
    put(b, magic, sizeof magic);
    put(b, proto, sizeof proto);
    /* {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}} */
    put_u8(b, 0x80), put_u8(b, 2), put_u8(b, '}'), put_u8(b, 'q'), put_u8(b, 0), put_u8(b, '(');
    put_p2_str(b, "protocol_version", 1), put_int(b, 1001);
    put_p2_str(b, "little_endian", 2), put_u8(b, 0x88);
    put_p2_str(b, "type_sizes", 3), put_u8(b, '}'), put_u8(b, 'q'), put_u8(b, 4), put_u8(b, '(');
    put_p2_str(b, "short", 5), put_int(b, 2);
    put_p2_str(b, "int", 6), put_int(b, 4);
    put_p2_str(b, "long", 7), put_int(b, 4);
    put_u8(b, 'u'), put_u8(b, 'u'), put_u8(b, '.');
    /* ('storage', torch.FloatStorage, key, 'cpu', numel, None) as a persistent id */
    put_u8(b, 0x80), put_u8(b, 2), put_u8(b, '(');
    put_p2_str(b, "storage", 0);
    put_s(b, "ctorch\nFloatStorage\n"), put_u8(b, 'q'), put_u8(b, 1);
    put_p2_str(b, key, 2);
    put_p2_str(b, "cpu", 3);
    put_int(b, (uint32_t)numel);
    put_u8(b, 'N'), put_u8(b, 't'), put_u8(b, 'q'), put_u8(b, 4), put_u8(b, 'Q'), put_u8(b, '.');
    /* [key] */
    put_u8(b, 0x80), put_u8(b, 2), put_u8(b, ']'), put_u8(b, 'q'), put_u8(b, 0);
    put_p2_str(b, key, 1);
    put_u8(b, 'a'), put_u8(b, '.');
    put_le(b, numel, 8);
    for (uint64_t i = 0; i < numel; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        put_le(b, u, 4);
    }
}

vct_status synth_write_logmel_pkl(const char *path, const float *x, int64_t rows, vct_error *err) {
    bbuf inner = {0}, b = {0};
    uint64_t numel = (uint64_t)rows * 96 * 64;
    if (rows < 1 || numel >= 65536 * 16)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: %lld log-mel rows", path, (long long)rows);
    put_legacy_storage(&inner, x, numel);
    /* Python's protocol-4 pickler frames its output (FRAME + 8-byte length); a
     * bytes payload of >= 64 KiB closes the frame and is written unframed after
     * its header; a new frame holds the rest. */
    bbuf f1 = {0}, f2 = {0};
    put_short_str(&f1, "torch._utils");
    put_short_str(&f1, "_rebuild_tensor_v2");
    put_u8(&f1, 0x93), put_u8(&f1, 0x94);                     /* STACK_GLOBAL */
    put_u8(&f1, '(');
    put_short_str(&f1, "torch.storage");
    put_short_str(&f1, "_load_from_bytes");
    put_u8(&f1, 0x93), put_u8(&f1, 0x94);
    put_u8(&f2, 0x94), put_u8(&f2, 0x85), put_u8(&f2, 0x94);  /* (bytes,) */
    put_u8(&f2, 'R'), put_u8(&f2, 0x94);                      /* -> storage */
    put_int(&f2, 0);                                          /* storage offset */
    put_u8(&f2, '('), put_int(&f2, (uint32_t)rows), put_int(&f2, 1), put_int(&f2, 96), put_int(&f2, 64);
    put_u8(&f2, 't'), put_u8(&f2, 0x94);                      /* size */
    put_u8(&f2, '('), put_int(&f2, 6144), put_int(&f2, 6144), put_int(&f2, 64), put_int(&f2, 1);
    put_u8(&f2, 't'), put_u8(&f2, 0x94);                      /* stride */
    put_u8(&f2, 0x89);                                        /* requires_grad False */
    put_short_str(&f2, "collections");
    put_short_str(&f2, "OrderedDict");
    put_u8(&f2, 0x93), put_u8(&f2, 0x94), put_u8(&f2, ')'), put_u8(&f2, 'R'), put_u8(&f2, 0x94); /* OrderedDict() */
    put_u8(&f2, 't'), put_u8(&f2, 0x94), put_u8(&f2, 'R'), put_u8(&f2, 0x94), put_u8(&f2, '.');
    put_u8(&b, 0x80), put_u8(&b, 4);                          /* PROTO 4 */
    put_u8(&b, 0x95), put_le(&b, f1.n, 8);                    /* FRAME */
    put(&b, f1.p, f1.n);
    put_u8(&b, 'B'), put_le(&b, inner.n, 4);                  /* BINBYTES, unframed */
    put(&b, inner.p, inner.n);
    put_u8(&b, 0x95), put_le(&b, f2.n, 8);
    put(&b, f2.p, f2.n);
    b.oom |= f1.oom || f2.oom;
    free(f1.p);
    free(f2.p);
    vct_status st;
    if (inner.oom || b.oom) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    } else {
        atomic_file af;
        st = atomic_file_open(&af, path, err);
        if (st == VCT_STATUS_OK) {
            st = atomic_file_write(&af, b.p, b.n, err);
            if (st == VCT_STATUS_OK) st = atomic_file_commit(&af, err);
            else atomic_file_abort(&af);
        }
    }
    free(inner.p);
    free(b.p);
    return st;
}
