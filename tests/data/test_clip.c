/* test_clip.c: data/clip.c. A video read in its one demux pass gives the frames of
 * video_read_frames_1fps and the samples of audio_decode_samples, bit for bit (and their
 * channel mean equals audio_decode's mono samples); a frames folder is ordered naturally
 * and paired with its Maskiges; audio shorter than the clip, a Maskige without a frame and
 * a frame without a Maskige are refused with messages naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/decode.h"
#include "data/clip.h"
#include "io/fs.h"
#include "io/image.h"
#include "io/video.h"
#include "testlib.h"

#define VIDEO "tests/data/media/clip_1s2.mp4"

static void write_rgb(const char *path, int64_t H, int64_t W, uint8_t v) {
    image_u8 im = {0};
    vct_error err = {0};
    if (image_alloc(&im, H, W, 3, &err) != VCT_STATUS_OK) return;
    memset(im.data, v, (size_t)(H * W * 3));
    if (image_write_png(path, &im, NULL, 0, &err) != VCT_STATUS_OK) tl_fail("write png", "%s", err.msg);
    image_free(&im);
}

/* a 16 kHz mono PCM16 WAV of n samples (a ramp) */
static void write_wav(const char *path, int32_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    const int32_t rate = 16000, bytes = 2 * n;
    uint8_t h[44] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0};
    int32_t v[] = {36 + bytes, rate, 2 * rate};
    memcpy(h + 4, &v[0], 4); /* little-endian host */
    memcpy(h + 24, &v[1], 4);
    memcpy(h + 28, &v[2], 4);
    h[32] = 2, h[34] = 16;
    memcpy(h + 36, "data", 4);
    memcpy(h + 40, &bytes, 4);
    fwrite(h, 1, 44, f);
    for (int32_t i = 0; i < n; i++) {
        int16_t s = (int16_t)((i * 37) % 20000 - 10000);
        fwrite(&s, 2, 1, f);
    }
    fclose(f);
}

static void test_video(void) {
    vct_error err = {0};
    clip c;
    clip_params p = {NULL, NULL, VIDEO, NULL};
    if (clip_read(&c, &p, &err) != VCT_STATUS_OK) {
        tl_fail("video clip", "%s", err.msg);
        clip_free(&c);
        return;
    }
    video_frames v;
    video_read_params vp = video_read_default_params();
    audio_samples a;
    audio_pcm mono;
    int ok_v = video_read_frames_1fps(VIDEO, &vp, &v, &err) == VCT_STATUS_OK;
    int ok_a = ok_v && audio_decode_samples(VIDEO, NULL, &a, &err) == VCT_STATUS_OK;
    int ok_m = ok_a && audio_decode(VIDEO, &mono, &err) == VCT_STATUS_OK;
    if (!ok_m) {
        tl_fail("video clip: separate reads", "%s", err.msg);
    } else {
        tl_expect(c.T == v.T && c.H == v.H && c.W == v.W && !memcmp(c.frames, v.data, (size_t)(v.T * v.H * v.W * 3)) &&
                      !strcmp(c.stem[0], "0") && !c.frame[0] && !c.maskige[0],
                  "video: the one-pass frames equal video_read_frames_1fps", "T %lld vs %lld", (long long)c.T,
                  (long long)v.T);
        tl_expect(c.audio.n == a.n && c.audio.channels == a.channels && c.audio.sample_rate == a.sample_rate &&
                      !memcmp(c.audio.data, a.data, (size_t)(a.n * a.channels) * sizeof(float)) &&
                      !strcmp(c.audio.reader, "ffmpeg"),
                  "video: the one-pass samples equal audio_decode_samples bit for bit", "n %lld vs %lld, %d vs %d ch",
                  (long long)c.audio.n, (long long)a.n, c.audio.channels, a.channels);
        double *m = NULL;
        int same = audio_mono_alloc(&m, c.audio.data, c.audio.n, c.audio.channels, "clip", &err) == VCT_STATUS_OK &&
                   c.audio.n == mono.n && !memcmp(m, mono.samples, (size_t)mono.n * sizeof(double));
        tl_expect(same, "video: their channel mean equals audio_decode's mono samples bit for bit", "differs");
        free(m);
        size_t blank = 0;
        for (int64_t i = 0; i < c.T * c.H * c.W * 3; i++) blank += c.masks[i] == CLIP_BLANK_MASKIGE;
        tl_expect(blank == (size_t)(c.T * c.H * c.W * 3), "video: the blank fallback Maskige", "%zu", blank);
        vct_clip vc = clip_view(&c);
        tl_expect(vc.pcm == c.audio.data && vc.n_samples == c.audio.n && vc.channels == c.audio.channels &&
                      vc.sample_rate == c.audio.sample_rate && vc.frames == c.frames && !vc.log_mel,
                  "clip_view hands the samples to vct_clip", "wrong");
    }
    if (ok_v) video_frames_free(&v);
    if (ok_a) audio_samples_free(&a);
    if (ok_m) audio_pcm_free(&mono);
    clip_free(&c);
}

static void expect_error(const char *name, const clip_params *p, const char *needle) {
    vct_error err = {0};
    clip c;
    vct_status st = clip_read(&c, p, &err);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, needle), name, "status %d '%s'", (int)st, err.msg);
    clip_free(&c);
}

static void test_folder(void) {
    char dir[] = "/tmp/vct_test_clip_XXXXXX";
    if (!mkdtemp(dir)) {
        tl_fail("folder clip", "mkdtemp");
        return;
    }
    char fr[300], mk[300], path[400];
    snprintf(fr, sizeof fr, "%s/frames", dir);
    snprintf(mk, sizeof mk, "%s/maskige", dir);
    vct_error err = {0};
    fs_mkdirs(fr, &err);
    fs_mkdirs(mk, &err);
    static const char *stems[] = {"f_10", "f_2", "f_1"}; /* natural order: f_1, f_2, f_10 */
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s.png", fr, stems[i]);
        write_rgb(path, 6, 8, (uint8_t)(10 * i));
        snprintf(path, sizeof path, "%s/%s_mask_color.png", mk, stems[i]);
        write_rgb(path, 6, 8, (uint8_t)(100 + i));
    }
    /* one frame: 1.2 s of audio gives one example */
    char one[300];
    snprintf(one, sizeof one, "%s/one", dir);
    fs_mkdirs(one, &err);
    snprintf(path, sizeof path, "%s/f_1.png", one);
    write_rgb(path, 6, 8, 0);
    clip c;
    clip_params p = {one, VIDEO, NULL, NULL};
    vct_status st = clip_read(&c, &p, &err);
    tl_expect(st == VCT_STATUS_OK && c.T == 1 && !strcmp(c.stem[0], "f_1") && c.audio.n > 0,
              "folder: one frame and the audio of a video file", "%s", err.msg);
    clip_free(&c);
    /* three frames: ordered, paired; then the audio is too short */
    clip_params p3 = {fr, VIDEO, NULL, mk};
    expect_error("folder: audio shorter than the clip is refused, naming the file", &p3,
                 VIDEO ": 1.216 s of audio gives 1 VGGish example(s) (one per 0.96 s, the first needs 0.975 s), but the "
                 "clip has 3 frame(s)");
    snprintf(path, sizeof path, "%s/f_10_mask_color.png", mk);
    unlink(path);
    expect_error("folder: a frame without a Maskige is refused", &p3, "no Maskige for frame");
    write_rgb(path, 6, 8, 100);
    snprintf(path, sizeof path, "%s/f_3.png", mk);
    write_rgb(path, 6, 8, 0);
    expect_error("folder: a Maskige without a frame is refused", &p3, "f_3.png: a Maskige without a frame");
    unlink(path);
    /* the order and the pairing, with 3 s of audio */
    char wav[300];
    snprintf(wav, sizeof wav, "%s/a.wav", dir);
    write_wav(wav, 48000);
    p3.audio_path = wav;
    st = clip_read(&c, &p3, &err);
    int order = c.T == 3 && !strcmp(c.stem[0], "f_1") && !strcmp(c.stem[1], "f_2") && !strcmp(c.stem[2], "f_10");
    int paired = order && c.masks && c.masks[0] == 102 && c.masks[6 * 8 * 3] == 101 && c.masks[2 * 6 * 8 * 3] == 100 &&
                 c.frames[0] == 20 && c.frames[6 * 8 * 3] == 10 && c.frames[2 * 6 * 8 * 3] == 0;
    tl_expect(st == VCT_STATUS_OK && order && paired && c.audio.n == 48000 && !strcmp(c.audio.reader, "libsndfile") &&
                  c.audio.data[1] == (float)(37 - 10000) / 32768.0f,
              "folder: natural order, each frame with its Maskige, the WAV's int16/32768 samples", "T %lld: %s",
              (long long)c.T, err.msg);
    clip_free(&c);
    clip_params bad = {fr, NULL, NULL, NULL};
    expect_error("a folder without audio is refused", &bad, "a video, or a folder of frames with an audio file");
    fs_remove_tree(dir, &err);
}

int main(void) {
    test_video();
    test_folder();
    return tl_summary("data/clip");
}
