/* decode.h: any audio (or video) file -> mono PCM at the source rate, with the
 * sample values the official VGGish front end sees.
 *
 * Official reader (torchvggish/vggish_input.py wavfile_to_examples):
 *     wav, sr = soundfile.read(path, dtype="int16"); x = wav / 32768.0
 *     if multi-channel: x = mean(x, axis=1)
 * so every sample is an int16 value k / 32768 (float64), and a multi-channel
 * frame is (sum_c k_c / 32768) / C, in double. audio_decode gives exactly those
 * doubles (bit for bit) for:
 *   - WAV (RIFF/WAVEX/RF64/W64) through libsndfile's int16 read with clipping on,
 *     as python-soundfile does: int16 as is; 24/32-bit integer PCM keeps the top
 *     16 bits (arithmetic shift, i.e. floor); u8 is (u - 128) << 8.
 *     Float/double WAV: soundfile's int16 read rounds the raw float to an integer
 *     (no scaling), so [-1,1] audio becomes 0/+-1: near-silence. That is what the
 *     official code computes; audio_decode does the same by default and warns.
 *     AUDIO_FLOAT_WAV_SCALE instead scales by 32768, rounds and clips (what
 *     `ffmpeg -c:a pcm_s16le` would have written).
 *   - anything else FFmpeg reads (flac, mp3, aac/m4a, ogg/vorbis, opus, ac3, the
 *     best audio track of mp4/mkv/webm/avi, ...), any channel count: decoded, then
 *     converted to interleaved int16 by libswresample at the same rate and channel
 *     layout. These are the samples `ffmpeg -i in -c:a pcm_s16le out.wav` writes,
 *     i.e. what the official code reads from the audio.wav extracted that way.
 * A packet the decoder rejects (a damaged frame, typically a truncated tail) is
 * skipped with a warning; a read error ends decoding with a warning and keeps
 * what was decoded; so does a WAV cut short of its header's data size. A float WAV
 * with a NaN sample is an error (the official int16 conversion of NaN is undefined;
 * +-Inf clips, as there). No audio stream, no decodable samples, an unreadable file:
 * errors whose message names the file. */
#ifndef VCT_AUDIO_DECODE_H
#define VCT_AUDIO_DECODE_H

#include <stdint.h>

#include "core/error.h"

typedef enum audio_float_wav {
    AUDIO_FLOAT_WAV_OFFICIAL = 0, /* soundfile's int16 read: round(raw float), clipped */
    AUDIO_FLOAT_WAV_SCALE         /* round(x * 32768), clipped to int16 */
} audio_float_wav;

typedef struct audio_decode_params {
    audio_float_wav float_wav; /* default AUDIO_FLOAT_WAV_OFFICIAL */
} audio_decode_params;

audio_decode_params audio_decode_default_params(void);

typedef struct audio_pcm {
    double *samples;         /* [n] mono: mean over channels of int16/32768 (malloc'ed) */
    int64_t n;               /* samples (frames) */
    int sample_rate;         /* Hz, the source rate */
    int channels;            /* source channels averaged into samples */
    char reader[16];         /* "libsndfile" or "ffmpeg" */
    char codec[32];          /* "PCM_16", "PCM_24", "FLOAT" (libsndfile) or FFmpeg's codec name */
    int64_t damaged_packets; /* packets the decoder rejected (skipped with a warning) */
    int truncated;           /* 1 if a read error ended decoding early, or a WAV holds less data
                                than its header says (warned either way) */
} audio_pcm;

/* The same samples before the mean over channels: [n, channels] interleaved floats, each
 * an int16 value k / 32768 (exact in float; full scale +-1), as include/vct.h's vct_clip
 * takes them. */
typedef struct audio_samples {
    float *data;             /* [n, channels] (malloc'ed) */
    int64_t n;               /* frames (samples per channel) */
    int channels;
    int sample_rate;         /* Hz, the source rate */
    char reader[16];         /* as audio_pcm */
    char codec[32];
    int64_t damaged_packets;
    int truncated;
} audio_samples;

/* Decode path into interleaved samples (same rules and messages as audio_decode_ex;
 * params may be NULL: defaults). Free with audio_samples_free (also after a failure). */
vct_status audio_decode_samples(const char *path, const audio_decode_params *params, audio_samples *out,
                                vct_error *err);
void audio_samples_free(audio_samples *s);

/* Mono sample from one frame of C interleaved int16/32768 floats: (sum_c x_c) / C in
 * double, which equals audio_mono_from_s16 of the int16 values bit for bit. */
double audio_mono_from_f32(const float *frame, int C);
/* *mono (malloc'ed) = [n] means over the channels of pcm [n, channels]; `what` names
 * the source in messages. */
vct_status audio_mono_alloc(double **mono, const float *pcm, int64_t n, int channels, const char *what,
                            vct_error *err);

/* The audio stream of a file that another reader demuxes, so that a video is read once
 * for its frames and its sound (data/clip.c with io/video.h). The FFmpeg decoding is the
 * one audio_decode uses for non-WAV files, so the samples are the same. */
struct AVFormatContext;
struct AVPacket;
typedef struct audio_stream_decoder audio_stream_decoder;
/* Pick fmt's best audio stream (*stream: its index) and open its decoder; the samples
 * go to out (initialised here). Errors name path: no audio stream (listing the streams),
 * no decoder. */
vct_status audio_stream_decoder_open(audio_stream_decoder **dec, struct AVFormatContext *fmt, const char *path,
                                     audio_samples *out, int *stream, vct_error *err);
/* one packet of that stream */
vct_status audio_stream_decoder_packet(audio_stream_decoder *dec, const struct AVPacket *pkt, vct_error *err);
/* end of the file (read_rc: the last av_read_frame result, AVERROR_EOF when the whole file
 * was read): flush, warn about damage, refuse a stream without samples */
vct_status audio_stream_decoder_finish(audio_stream_decoder *dec, int read_rc, vct_error *err);
void audio_stream_decoder_free(audio_stream_decoder *dec); /* NULL-safe */

/* Decode path with the default params. out is initialised by the call; free it
 * with audio_pcm_free (also after a failure: then it is empty). */
vct_status audio_decode(const char *path, audio_pcm *out, vct_error *err);
vct_status audio_decode_ex(const char *path, const audio_decode_params *params, audio_pcm *out,
                           vct_error *err);
void audio_pcm_free(audio_pcm *pcm);

/* Mono sample from one int16 frame of C channels, as numpy computes it:
 * (sum_c k_c / 32768.0) / C (the sum is exact in double). */
double audio_mono_from_s16(const int16_t *frame, int C);

#endif
