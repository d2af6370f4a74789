/* video.h: one RGB frame per second from any video FFmpeg can read, the way AVSBench
 * extracted its frames (docs/frames.md §5 has the derivation).
 *
 * AVSBench (preprocess_scripts/preprocess_s4.py) reads every frame with
 * imageio.get_reader(path, 'ffmpeg') - i.e. `ffmpeg -i path -f image2pipe -pix_fmt rgb24
 * -vcodec rawvideo -`, a constant-frame-rate (CFR) sequence - takes F = round(fps) and keeps,
 * for second l = 0..T-1, frame number n_l = int(l*F + 15/16*F), clamped to the last frame.
 * video_read_frames_1fps() does the same with libavformat/libavcodec/libswscale:
 *  - stream: the best video stream (cover-art pictures are not video);
 *  - F: the average frame rate as ffmpeg prints it, rounded half to even (Python's round());
 *  - the CFR sequence is rebuilt exactly as ffmpeg 5.1 makes it (frames repeated or dropped
 *    for gaps, late starts and bursts; for an ordinary constant-rate file it is just the
 *    decoded frames in order), and its frame n_l is kept; n_l past the end takes the last;
 *  - RGB24 by libswscale as ffmpeg converts (bicubic flags, the frame's colour matrix and
 *    range), at the first frame's size. Rotation metadata and the sample aspect ratio are
 *    ignored, as in that pipeline.
 * T = params.seconds if > 0, else round(CFR frames / rate) (at least 1, at most max_seconds).
 *
 * Errors name the file: missing, empty, not a media file, no video stream, no decodable
 * frame, or truncated (the decoded frames end more than max(0.5 s, 10%) before the duration
 * the file states). */
#ifndef VCT_IO_VIDEO_H
#define VCT_IO_VIDEO_H

#include <stdint.h>

#include "core/error.h"

typedef struct video_frames {
    uint8_t *data;        /* [T, H, W, 3] RGB24, malloc'ed, owned */
    int64_t T, H, W;      /* seconds (frames returned), frame size */
    int64_t *frame_index; /* [T] CFR frame number n_l chosen for second l (AVSBench numbering;
                             l itself with all_frames) */
    int64_t n_clamped;    /* seconds whose n_l was past the end (given the last frame) */
    double fps;           /* the stream's average frame rate (what imageio reports as fps) */
    int64_t fps_int;      /* F = round(fps) as AVSBench computes it */
    double cfr_fps;       /* rate of the constant-frame-rate sequence (av_guess_frame_rate) */
    int64_t n_decoded;    /* frames decoded (until the last second needed) */
    int64_t n_cfr;        /* frames in the CFR sequence (until the last second needed) */
    double duration;      /* n_cfr / cfr_fps: seconds of the CFR sequence */
    char codec[32];       /* decoder name */
} video_frames;

typedef struct video_read_params {
    int64_t seconds;     /* T; <= 0: round(duration) */
    int64_t max_seconds; /* auto T never exceeds this (memory bound); default 600 */
    int threads;         /* decoder threads; default 1 (callers parallelise over clips) */
    int all_frames;      /* 1: return every frame of the constant-rate sequence instead of one
                            per second (frame l = CFR frame l; T = their count, or `seconds`
                            frames); for tests and tools */
} video_read_params;

video_read_params video_read_default_params(void);

/* Read T frames, one per second, of the video at path. out is overwritten (not freed).
 * The file is opened once (by libavformat). */
vct_status video_read_frames_1fps(const char *path, const video_read_params *params,
                                  video_frames *out, vct_error *err);

/* A second stream read in the same demux pass (the clip's audio, data/clip.c), so a video
 * is opened and read once for its frames and its sound. The frames are exactly those of
 * video_read_frames_1fps; reading goes on to the end of the file for the side stream
 * after the last second needed. */
struct AVFormatContext;
struct AVPacket;
typedef struct video_side_stream {
    /* after the stream info is read and the video stream chosen: pick a stream (*stream:
       its index, not the video's) and set up; an error stops the read */
    vct_status (*open)(void *user, struct AVFormatContext *fmt, int *stream, vct_error *err);
    vct_status (*packet)(void *user, const struct AVPacket *pkt, vct_error *err);
    /* at the end of the file; read_rc is av_read_frame's last result (AVERROR_EOF when
       the whole file was read) */
    vct_status (*finish)(void *user, int read_rc, vct_error *err);
    void *user;
} video_side_stream;
vct_status video_read_frames_1fps_with(const char *path, const video_read_params *params,
                                       const video_side_stream *side, video_frames *out, vct_error *err);
void video_frames_free(video_frames *v); /* NULL-safe; zeroes the struct */

/* AVSBench's frame number for second l at integer rate F: int(l*F + 15/16*F). */
int64_t video_avsbench_frame_number(int64_t l, int64_t F);

#endif
