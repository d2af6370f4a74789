/* frontend.h: waveform (or file) -> the log-mel examples a task feeds VCT,
 * [T,96,64] float (the official tensor is [T,1,96,64]; the unit dim is left to
 * the caller).
 *
 * Steps: decode (decode.h) -> resample to 16 kHz (resample.h) -> VGGish examples
 * (mel.h) -> fit to T rows:
 *   S4, MS3 (T = 5): AVSBench preprocess_{s4,ms3}.py: if N < 5, rows N..4 repeat
 *                    the last example.
 *   AVSS (T = 10):   VCT avs_tools/preprocess_avss_audio.py: if N < 10, rows N..9 are
 *                    zeros (the model later keeps the rows whose vid_temporal_mask_flag
 *                    is 1).
 *   N > T: the official scripts fail; we keep the first T examples and warn.
 *   N = 0 (under 15,600 samples = 0.975 s at 16 kHz): an error naming the length
 *   and the minimum. (Officially S4/MS3 crash there; AVSS yields 10 zero rows if
 *   S >= 400 and crashes below: we refuse all of these rather than emit silence.) */
#ifndef VCT_AUDIO_FRONTEND_H
#define VCT_AUDIO_FRONTEND_H

#include <stdint.h>

#include "audio/decode.h"
#include "core/error.h"

typedef enum audio_task {
    AUDIO_TASK_S4 = 0, /* AVSBench single-source, 5 rows, last example repeated */
    AUDIO_TASK_MS3,    /* AVSBench multi-source, 5 rows, last example repeated */
    AUDIO_TASK_AVSS    /* AVSBench-semantic, 10 rows, zero-padded */
} audio_task;

/* Rows T the task uses: 5, 5 or 10. */
int audio_task_rows(audio_task task);
/* "s4", "ms3", "avss" (also "ss") -> task; returns 0 on success, -1 if unknown. */
int audio_task_from_name(const char *name, audio_task *out);
const char *audio_task_name(audio_task task);

/* Waveform x[n] (mono, int16/32768 values) at sample_rate -> out[T][96][64] with
 * T = audio_task_rows(task). *n_real (may be NULL) receives the number of real
 * examples N before fitting (capped at T). `what` names the source in messages
 * (may be NULL). */
vct_status audio_examples_for_task(float *out, int64_t *n_real, const double *x, int64_t n,
                                   int sample_rate, audio_task task, const char *what,
                                   vct_error *err);

/* Every example of a waveform, no task fitting: *out (malloc'ed, free it) receives
 * [*n_examples][96][64]. Refuses, naming `what`: a rate outside [AUDIO_RATE_MIN,
 * AUDIO_RATE_MAX] (UNSUPPORTED), no samples or less than one example (FORMAT). The
 * task version below makes the same checks. */
vct_status audio_examples_all(float **out, int64_t *n_examples, const double *x, int64_t n, int sample_rate,
                              const char *what, vct_error *err);
/* Decode path (params may be NULL: defaults) and do the above. */
vct_status audio_file_examples_all(float **out, int64_t *n_examples, const char *path,
                                   const audio_decode_params *params, vct_error *err);

/* Decode path and do the above. */
vct_status audio_file_examples(float *out, int64_t *n_real, const char *path, audio_task task,
                               const audio_decode_params *params, vct_error *err);

#endif
