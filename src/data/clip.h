/* clip.h: one clip as `vct segment` takes it, read and checked before any model runs:
 *   - a folder of frames (.png/.jpg in natural order, core/str.h) and an audio file
 *     (audio/decode.h: WAV through libsndfile, the rest through FFmpeg), or
 *   - a video: its frames at 1 fps as AVSBench extracted them (io/video.h) and its sound,
 *     from ONE FFmpeg demux pass (the file is opened once);
 *   - the Maskige of each frame, paired by name (<stem>_mask_color.png, else <stem>.png,
 *     else <stem>.jpg; a Maskige without a frame is refused), or the blank fallback;
 *   - the audio long enough for one VGGish example per frame.
 * Frames and Maskiges must all have one size. Errors name the file and the problem. The
 * audio is kept as interleaved int16/32768 samples, as include/vct.h's vct_clip takes it
 * (the library averages the channels, resamples and makes the log-mel). */
#ifndef VCT_DATA_CLIP_H
#define VCT_DATA_CLIP_H

#include <stdint.h>

#include "audio/decode.h"
#include "core/error.h"

#define CLIP_MAX_FRAMES 4096
#define CLIP_BLANK_MASKIGE 120 /* ADE20K palette id 0: a pixel no Semantic-SAM mask covers */

typedef struct clip_params {
    const char *frames_dir;  /* a folder of frames, with audio_path */
    const char *audio_path;  /* the frames' audio: any file FFmpeg reads */
    const char *video_path;  /* instead of the two: a video with sound */
    const char *maskige_dir; /* one Maskige per frame; NULL: the blank fallback (every pixel 120) */
} clip_params;

typedef struct clip {
    int64_t T, H, W;
    char **stem;            /* [T] output name of frame t (its file name without extension; "t" for a video) */
    char **frame;           /* [T] its file, NULL for video frames */
    char **maskige;         /* [T] its Maskige file, NULL with the fallback */
    uint8_t *frames, *masks; /* [T,H,W,3] RGB */
    audio_samples audio;    /* [n, channels] int16/32768 at the source rate */
} clip;

/* Read everything p names into c (initialised here). Free with clip_free, also after a
 * failure. */
vct_status clip_read(clip *c, const clip_params *p, vct_error *err);
void clip_free(clip *c); /* NULL-safe */

/* The public view of c for vct_segment (borrows c's buffers): frames, Maskiges (NULL with
 * no Maskige data) and the samples; log_mel NULL. */
vct_clip clip_view(const clip *c);

#endif
