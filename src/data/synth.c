/* synth.c: SynthAVS classes, random numbers and the plan of a clip (what is in
 * it, how it moves, who is heard when). Rendering: synth_render.c; sound:
 * synth_audio.c; files: synth_layout.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/synth.h"

/* Each synthetic class stands for one S4 category and one AVSS class. */
static const synth_class classes[SYNTH_NUM_CLASSES] = {
    {"siren", "ambulance_siren", 22, "rounded red box, white horizontal stripes", "FM siren: wail or hi-lo tones"},
    {"guitar", "playing_acoustic_guitar", 28, "two overlapping orange-brown disks, wood grain",
     "plucked strings (Karplus-Strong), pentatonic notes"},
    {"tabla", "playing_tabla", 56, "dark brown disk, concentric rings, black centre",
     "drum strokes: pitched membrane with a falling pitch and a click"},
    {"bell", "playing_glockenspiel", 6, "gold triangle, vertical gradient and highlights",
     "struck bars: inharmonic decaying partials"},
    {"dog", "dog_barking", 17, "tan crescent, fine fur noise", "barks: buzzy bursts through a formant filter"},
    {"bird", "mynah_bird_singing", 7, "green diamond, yellow dots", "chirps: fast up/down frequency sweeps"},
    {"helicopter", "helicopter", 35, "grey cross, checker pattern", "rotor: noise amplitude-modulated at 10-20 Hz + hum"},
    {"mower", "lawn_mowing", 45, "yellow-green hexagon, diagonal stripes", "engine: buzzing sawtooth with AM and noise"},
    {"keyboard", "typing_on_computer_keyboard", 38, "wide dark blue box, grid of light keys",
     "typing: short clicks of filtered noise"},
    {"violin", "playing_violin", 68, "purple five-point star, radial gradient", "bowed notes: sawtooth with vibrato"},
};

const synth_class *synth_class_get(int k) {
    return (k >= 0 && k < SYNTH_NUM_CLASSES) ? &classes[k] : NULL;
}

/* ---- random numbers ------------------------------------------------------------------ */

uint64_t synth_hash(uint64_t x) {
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

void synth_rng_seed(synth_rng *r, uint64_t a, uint64_t b) { r->s = synth_hash(synth_hash(a) ^ (b * 0x632be59bd9b4e019u)); }

uint64_t synth_rng_u64(synth_rng *r) {
    r->s += UINT64_C(0x9e3779b97f4a7c15);
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

double synth_rng_uniform(synth_rng *r) { return (double)(synth_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }

double synth_rng_range(synth_rng *r, double lo, double hi) { return lo + (hi - lo) * synth_rng_uniform(r); }

int synth_rng_int(synth_rng *r, int n) { return n <= 1 ? 0 : (int)(synth_rng_u64(r) % (uint64_t)n); }

double synth_rng_normal(synth_rng *r) {
    double u = synth_rng_uniform(r), v = synth_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * SYNTH_PI * v);
}

/* ---- parameters ------------------------------------------------------------------------ */

synth_params synth_default_params(void) {
    synth_params p;
    memset(&p, 0, sizeof p);
    p.task = AVS_TASK_S4;
    p.layout = AVS_LAYOUT_AVSBENCH;
    p.clips = 200;
    p.seed = 0;
    return p;
}

/* Splits by position: the first 70 % train, then 15 % val, then test (each >= 1). */
static avs_split split_of(int64_t i, int64_t n) {
    int64_t n_val = (n * 15 + 50) / 100, n_test = (n * 15 + 50) / 100;
    if (n_val < 1) n_val = 1;
    if (n_test < 1) n_test = 1;
    int64_t n_train = n - n_val - n_test;
    if (i < n_train) return AVS_SPLIT_TRAIN;
    if (i < n_train + n_val) return AVS_SPLIT_VAL;
    return AVS_SPLIT_TEST;
}

/* An 11-character YouTube-like id, never starting with '-'. */
static void make_id(char *out, synth_rng *r) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 11; i++) out[i] = a[synth_rng_int(r, i == 0 ? 62 : 64)];
    out[11] = '\0';
}

/* Random whole seconds [a, b) of T, at least 2 long, touching one end or inside. */
static void activity_pattern(uint8_t *act, int T, synth_rng *r, int always) {
    memset(act, 0, SYNTH_MAX_FRAMES);
    if (always || synth_rng_uniform(r) < 0.45) {
        memset(act, 1, (size_t)T);
        return;
    }
    int len = 2 + synth_rng_int(r, T - 2); /* 2 .. T-1 */
    int kind = synth_rng_int(r, 3);        /* 0 starts late, 1 stops early, 2 both */
    int a = kind == 1 ? 0 : kind == 0 ? T - len : 1 + synth_rng_int(r, T - len > 1 ? T - len - 1 : 1);
    if (a + len > T) a = T - len;
    for (int t = a; t < a + len; t++) act[t] = 1;
}

/* crossing: 0 stays mostly in view, 1 leaves the frame, 2 leaves or enters it */
static void plan_object(synth_object *o, int cls, const synth_clip *c, synth_rng *r, int crossing) {
    double W = c->W, H = c->H, T = c->T;
    memset(o, 0, sizeof *o);
    o->cls = cls;
    o->s0 = synth_rng_range(r, 0.14, 0.3) * H;
    o->s1 = o->s0 * synth_rng_range(r, 0.7, 1.4);
    o->x0 = synth_rng_range(r, 0.15, 0.85) * W;
    o->y0 = synth_rng_range(r, 0.22, 0.78) * H;
    double speed = synth_rng_range(r, 0.0, 0.35) * W / T;
    if (crossing) speed = synth_rng_range(r, 0.7, 1.1) * W / T; /* leaves or enters the frame */
    double ang = synth_rng_range(r, 0, 2 * SYNTH_PI);
    o->vx = speed * cos(ang);
    o->vy = 0.5 * speed * sin(ang);
    if (crossing) { /* start well inside, head out through the side */
        o->x0 = synth_rng_range(r, 0.3, 0.7) * W;
        if (o->vx < 0 && o->x0 + o->vx * T > 0) o->vx = -(o->x0 + 0.2 * W) / T;
        if (o->vx >= 0 && o->x0 + o->vx * T < W) o->vx = (W - o->x0 + 0.2 * W) / T;
        if (crossing == 2 && synth_rng_uniform(r) < 0.5) { /* reverse time: enters instead */
            o->x0 += o->vx * T;
            o->vx = -o->vx;
        }
    }
    o->wob_a = synth_rng_range(r, 0, 0.04) * H;
    o->wob_f = synth_rng_range(r, 0.1, 0.5);
    o->wob_p = synth_rng_range(r, 0, 2 * SYNTH_PI);
    o->rot0 = synth_rng_range(r, -0.5, 0.5);
    o->rotv = synth_rng_range(r, -0.15, 0.15);
    o->hue = synth_rng_range(r, -1, 1);
    o->seed = synth_rng_u64(r);
}

static int pick_other_class(synth_rng *r, const int *used, int n_used) {
    for (int tries = 0; tries < 64; tries++) {
        int k = synth_rng_int(r, SYNTH_NUM_CLASSES), dup = 0;
        for (int i = 0; i < n_used; i++) dup |= used[i] == k;
        if (!dup) return k;
    }
    return synth_rng_int(r, SYNTH_NUM_CLASSES);
}

void synth_plan_clip(synth_clip *c, const synth_params *p, int64_t index) {
    memset(c, 0, sizeof *c);
    synth_rng r;
    synth_rng_seed(&r, p->seed, (uint64_t)index * 4 + (uint64_t)p->task);
    c->index = index;
    c->task = p->task;
    c->seed = synth_rng_u64(&r);
    c->split = split_of(index, p->clips);
    c->T = 5;
    int multi = p->task == AVS_TASK_MS3;
    if (p->task == AVS_TASK_AVSS) { /* AVSBench-semantic mixes the three subsets */
        double u = synth_rng_uniform(&r);
        c->subset = u < 0.35 ? "v1s" : u < 0.5 ? "v1m" : "v2";
        c->T = strcmp(c->subset, "v2") == 0 ? 10 : 5;
        multi = strcmp(c->subset, "v1s") != 0;
    }
    c->W = 426; /* the "video": 240p, 16:9, in every task and layout */
    c->H = 240;

    /* names */
    char yt[12];
    make_id(yt, &r);
    int seg = synth_rng_int(&r, 10);
    int start_s = synth_rng_int(&r, 6);
    if (p->task == AVS_TASK_S4) snprintf(c->name, sizeof c->name, "%s", yt);
    else if (p->task == AVS_TASK_MS3) snprintf(c->name, sizeof c->name, "%s_%d", yt, seg);
    else {
        snprintf(c->name, sizeof c->name, "%s_%d_%d", yt, start_s * 1000, (start_s + c->T) * 1000);
        if (strcmp(c->subset, "v1m") == 0) snprintf(c->vid, sizeof c->vid, "%s_%d", yt, seg);
        else snprintf(c->vid, sizeof c->vid, "%s", yt);
    }

    /* background */
    c->bg_kind = synth_rng_int(&r, 3);
    c->bg_horizon = synth_rng_range(&r, 0.35, 0.6);
    c->bg_wave_a = synth_rng_range(&r, 0.0, 0.06);
    c->bg_wave_f = synth_rng_range(&r, 1.0, 4.0);
    c->bg_pan = synth_rng_range(&r, -0.03, 0.03) * c->W;
    for (int k = 0; k < 4; k++)
        for (int ch = 0; ch < 3; ch++) c->bg_col[k][ch] = synth_rng_range(&r, 0.15, 0.85);
    if (c->bg_kind == 0) { /* bluish sky, earthy ground */
        c->bg_col[0][2] = synth_rng_range(&r, 0.7, 0.95);
        c->bg_col[1][2] = synth_rng_range(&r, 0.8, 1.0);
        c->bg_col[2][1] *= 0.8;
        c->bg_col[2][2] *= 0.5;
    }

    /* sources */
    int n_src = 1;
    if (multi) n_src = 1 + synth_rng_int(&r, 3) + (p->task == AVS_TASK_MS3 && synth_rng_uniform(&r) < 0.5);
    if (n_src > 3) n_src = 3;
    int used[SYNTH_MAX_OBJECTS], n_used = 0;
    for (int s = 0; s < n_src; s++) {
        int k = (s > 0 && synth_rng_uniform(&r) < 0.1) ? used[0] : pick_other_class(&r, used, n_used);
        used[n_used++] = k;
        synth_object *o = &c->obj[c->n_obj];
        plan_object(o, k, c, &r, synth_rng_uniform(&r) < 0.12 ? (multi ? 2 : 1) : 0);
        synth_sound *sd = &c->snd[c->n_snd++];
        sd->cls = k;
        sd->object = c->n_obj;
        activity_pattern(sd->active, c->T, &r, !multi);
        sd->gain = synth_rng_range(&r, 0.6, 1.0);
        sd->seed = synth_rng_u64(&r);
        memcpy(o->heard, sd->active, SYNTH_MAX_FRAMES);
        c->n_obj++;
    }
    /* silent distractors: sometimes of a class that is heard */
    int n_dis = synth_rng_int(&r, multi ? 4 : 3);
    for (int d = 0; d < n_dis && c->n_obj < SYNTH_MAX_OBJECTS; d++) {
        int k = synth_rng_uniform(&r) < 0.2 ? used[synth_rng_int(&r, n_src)] : pick_other_class(&r, used, n_used);
        plan_object(&c->obj[c->n_obj], k, c, &r, synth_rng_uniform(&r) < 0.1 ? 2 : 0);
        c->n_obj++;
    }
    /* off-screen sounds: a class nobody sees */
    if (synth_rng_uniform(&r) < (multi ? 0.4 : 0.2) && c->n_snd < SYNTH_MAX_SOUNDS) {
        int k = pick_other_class(&r, used, n_used);
        for (int i = 0; i < c->n_obj; i++)
            if (c->obj[i].cls == k) k = -1;
        if (k >= 0) {
            synth_sound *sd = &c->snd[c->n_snd++];
            sd->cls = k;
            sd->object = -1;
            activity_pattern(sd->active, c->T, &r, 0);
            sd->gain = multi ? synth_rng_range(&r, 0.3, 0.6) : synth_rng_range(&r, 0.12, 0.25);
            sd->seed = synth_rng_u64(&r);
        }
    }
    /* drawing order: shuffle (Fisher-Yates), keeping the sound -> object links */
    int perm[SYNTH_MAX_OBJECTS];
    for (int i = 0; i < c->n_obj; i++) perm[i] = i;
    for (int i = c->n_obj - 1; i > 0; i--) {
        int j = synth_rng_int(&r, i + 1), tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    synth_object objs[SYNTH_MAX_OBJECTS];
    int where[SYNTH_MAX_OBJECTS];
    for (int i = 0; i < c->n_obj; i++) {
        objs[i] = c->obj[perm[i]];
        where[perm[i]] = i;
    }
    memcpy(c->obj, objs, sizeof objs);
    for (int s = 0; s < c->n_snd; s++)
        if (c->snd[s].object >= 0) c->snd[s].object = where[c->snd[s].object];
    c->ambient = synth_rng_range(&r, 0.002, 0.015);
    c->peak = synth_rng_range(&r, 0.45, 0.85);
}

int synth_object_heard(const synth_clip *c, int i, int t) {
    return i >= 0 && i < c->n_obj && t >= 0 && t < c->T && c->obj[i].heard[t];
}
