/* avsbench.h: AVSBench data sets as the official loaders see them
 * (design/avsbench.md §1): the clip lists of S4, MS3 and AVSS (v1s/v1m/v2) in the
 * published layout and in the reorganised layout VCT trains from, and readers
 * for each kind of file with the official decoding.
 *
 * Layouts (root = the folder a user points vct at):
 *   S4  avsbench: root = Single-source/: s4_meta_data.csv (col 0 name, col 2
 *       category, column "split"), s4_data/{visual_frames,gt_masks}/<split>/<cat>/
 *       <name>/<name>_<k>.png (k = 1..5; train masks: k = 1 only),
 *       s4_data/audio_wav/<split>/<cat>/<name>.wav, s4_data/audio_log_mel/.../<name>.pkl
 *   S4  vct: the same root; clips found by listing s4_data_384/visual_frames_384/
 *       <split>/<cat>/<name>/ (VCT's register_avss4_sem.py, sorted), masks
 *       gt_masks_384 (train, k = 1) or gt_masks_224 (val/test), Maskiges
 *       pre_SAM_mask_384/<split>/<cat>/<name>/<name>_<k>_mask_color.png, log-mel
 *       from s4_data/audio_log_mel. <cat> must be one of the 23 S4 categories.
 *   MS3 avsbench: root = Multi-sources/: ms3_meta_data.csv (col 0 video, column
 *       "split"), ms3_data/visual_frames/<v>/<v>.mp4_<k>.png (no split level),
 *       ms3_data/gt_masks/<split>/<v>/<v>_<k>.png, audio_wav/<split>/<v>.wav,
 *       audio_log_mel/<split>/<v>.pkl
 *   MS3 vct: clips found by listing ms3_data_384/gt_masks_{384 (train), 224}/<split>/,
 *       frames ms3_data_384/visual_frames_384/<v>/<v>_<k>.png, Maskiges
 *       ms3_data_384/pre_SAM_mask_384/<v>/<v>_<k>_mask_color.png
 *   AVSS (both): root = AVSBench_semantic/: metadata.csv (columns vid, uid, s_min,
 *       s_sec, a_obj, split, label by name), label2idx.json (71 keys), clips
 *       <label>/<uid>/ with T = 5 (v1s, v1m) or 10 (v2) frames.
 *       avsbench: frames/<t>.jpg, labels_rgb/<t>.png (colour), audio.wav
 *       vct: train frames/<t>.jpg + labels_semantic/<t>.png; val/test
 *       processed_frames_384/<t>.jpg + processed_labels_semantic/<t>.png (ids);
 *       audio.pkl; Maskiges pre_SAM_mask/AVSBench_semantic/<label>/<uid>/
 *       {frames,processed_frames_384}/<t>_mask_color.png
 * Labelled frames: S4 train and AVSS v1s train: frame 1 (index 0) only; all
 * frames otherwise.
 *
 * Paths in a clip are built from the layout rule; nothing is opened until a
 * reader is called (avs_dataset_open only reads the CSV or lists folders). */
#ifndef VCT_DATA_AVSBENCH_H
#define VCT_DATA_AVSBENCH_H

#include <stdint.h>

#include "core/error.h"
#include "io/image.h"

#define AVS_NUM_CLASSES 71
#define AVS_MAX_FRAMES 10
#define AVS_S4_CATEGORIES 23

typedef enum avs_task { AVS_TASK_S4 = 0, AVS_TASK_MS3, AVS_TASK_AVSS } avs_task;
typedef enum avs_layout { AVS_LAYOUT_AUTO = 0, AVS_LAYOUT_AVSBENCH, AVS_LAYOUT_VCT } avs_layout;
typedef enum avs_split { AVS_SPLIT_TRAIN = 0, AVS_SPLIT_VAL, AVS_SPLIT_TEST, AVS_SPLIT_COUNT } avs_split;

/* names <-> values; the parsers return 0 on success, -1 if unknown */
const char *avs_task_name(avs_task t);     /* "s4", "ms3", "avss" */
int avs_task_from_name(const char *s, avs_task *out);
const char *avs_layout_name(avs_layout l); /* "auto", "avsbench", "vct" */
int avs_layout_from_name(const char *s, avs_layout *out);
const char *avs_split_name(avs_split s);   /* "train", "val", "test" */
int avs_split_from_name(const char *s, avs_split *out);

/* The 71 AVSS classes in label2idx.json order ("background", "accordion", ...). */
const char *avs_class_name(int c);
/* The 23 S4 categories in VCT's numbering (index i = VCT label i + 1). */
const char *avs_s4_category_name(int i);
/* AVSS palette colour of class c (get_v2_pallete: PASCAL-VOC bit interleave). */
void avs_palette_colour(int c, uint8_t rgb[3]);
/* The class whose palette colour is rgb, or -1. */
int avs_palette_class(const uint8_t rgb[3]);

typedef struct avs_clip {
    char *name;     /* S4 name, MS3 video id, AVSS uid */
    char *category; /* S4 category; AVSS a_obj; NULL for MS3 */
    char *subset;   /* AVSS label: "v1s", "v1m", "v2"; NULL otherwise */
    avs_split split;
    int n_frames;                      /* T: 5 or 10 */
    uint8_t labelled[AVS_MAX_FRAMES];  /* 1: the frame has a ground-truth mask in this split */
    char *frame[AVS_MAX_FRAMES];       /* [n_frames] */
    char *mask[AVS_MAX_FRAMES];        /* NULL where not labelled */
    char *maskige[AVS_MAX_FRAMES];     /* NULL in the avsbench layout */
    char *audio_wav;                   /* where the WAV is (may be absent unless needs_wav) */
    char *audio_pkl;                   /* NULL where the layout has none (AVSS avsbench) */
    uint8_t needs_wav, needs_pkl;      /* the layout's loader reads it */
    uint8_t needs_maskige;             /* vct layout: the Maskige prior is read */
    int64_t source_line;               /* line in the metadata CSV (1 = header), 0 if listed */
} avs_clip;

typedef struct avs_dataset {
    avs_task task;
    avs_layout layout;  /* resolved, never AUTO */
    char *root;
    char *index_path;   /* the CSV, or the folder listed for the clips */
    avs_clip *clips;    /* every split, in loader order within a split */
    int64_t n_clips, cap;
} avs_dataset;

/* Find every clip. layout AUTO picks avsbench when its frame folder exists
 * (S4: s4_data/visual_frames, MS3: ms3_data/visual_frames; AVSS: always),
 * else vct. A missing index (CSV or listed folder), a malformed CSV row, a
 * missing column: an error naming the file (and line). ds is initialised by
 * the call and freed on failure. */
vct_status avs_dataset_open(avs_dataset *ds, const char *root, avs_task task, avs_layout layout,
                            vct_error *err);
void avs_dataset_free(avs_dataset *ds);
/* Clips of one split. */
int64_t avs_dataset_count(const avs_dataset *ds, avs_split split);

/* ---- readers (each error names the file) -------------------------------------------- */

/* A frame as RGB, as PIL's convert('RGB'). */
vct_status avs_read_frame(const char *path, image_u8 *out, vct_error *err);

/* A binary mask into out (c = 1, values 0/1). The file must be a single-channel
 * PNG (gray or palette indices) whose values are 0 and 255 (the loaders'
 * convert('1'), convert('P') + ToTensor and VCT's // 255 only agree there);
 * allow_rgb also accepts RGB whose channels are equal (S4's convert('1') reads
 * those the same). Another value: FORMAT error naming the value and a pixel. */
vct_status avs_read_binary_mask(const char *path, int allow_rgb, image_u8 *out, vct_error *err);

/* An AVSS colour mask (labels_rgb) into class ids (c = 1), as color_mask_to_label:
 * exact RGB match against the 71 palette colours. A colour outside the palette
 * is an error naming it and a pixel when strict; else class 0, as the official
 * code does (argmax of an all-zero row). */
vct_status avs_read_colour_mask(const char *path, int strict, image_u8 *out, vct_error *err);

/* A class-id mask (labels_semantic, processed_labels_semantic): single-channel
 * PNG; every id must be < 71. */
vct_status avs_read_index_mask(const char *path, image_u8 *out, vct_error *err);

/* Any AVSS label file: single-channel -> ids (avs_read_index_mask), RGB -> colours
 * (avs_read_colour_mask). */
vct_status avs_read_label_map(const char *path, int strict, image_u8 *out, vct_error *err);

/* A Maskige (..._mask_color.png) as RGB: VCT feeds it to the model as a picture. */
vct_status avs_read_maskige(const char *path, image_u8 *out, vct_error *err);

/* A pickled log-mel tensor (.pkl; pickle.dump of a float32 torch tensor
 * [T,1,96,64], or a torch.save of one): *out = malloc'ed [rows][96][64]. The
 * shape must be [rows,1,96,64] (or [rows,96,64]); want_rows > 0 also requires
 * rows == want_rows. Non-finite values are an error. */
vct_status avs_read_audio_pkl(const char *path, int64_t want_rows, float **out, int64_t *rows,
                              vct_error *err);

/* The WAV (or any audio file) -> the task's log-mel examples, *out = malloc'ed
 * [T][96][64] (T = 5 for S4/MS3, 10 for AVSS), as the official preprocessing
 * (audio/frontend.h). *n_real = examples the audio really holds (before padding).
 * A WAV whose data chunk claims more bytes than the file holds, a decode that
 * ended early, and audio too short for need_examples examples (e.g. 5 for a
 * 5-frame clip) are errors naming the file and the lengths. */
vct_status avs_read_audio_examples(const char *path, avs_task task, int need_examples, float **out,
                                   int64_t *n_real, vct_error *err);

/* A RIFF/WAVE file's declared data size against its real size: 0 when it fits or
 * the file is not a RIFF WAV; an error (FORMAT) naming both when truncated. */
vct_status avs_check_wav_complete(const char *path, vct_error *err);

/* label2idx.json: a JSON object with exactly 71 keys. */
vct_status avs_check_label_json(const char *path, vct_error *err);

/* ---- validation (`vct data check`, avsbench_check.c) -------------------------------------- */

typedef struct avs_check_counts {
    int64_t clips, frames, masks, empty_masks, maskiges, wavs, pkls;
} avs_check_counts;

typedef struct avs_check_params {
    int splits;   /* bit (1 << split) for each split to check [all three] */
    int quick;    /* only check that files exist; decode nothing [0] */
    int progress; /* progress line on stderr [0] */
} avs_check_params;

avs_check_params avs_check_default_params(void);

/* Called once per problem, in clip order, with a message naming the file. */
typedef void (*avs_problem_fn)(void *user, const char *msg);

/* Check every clip of the chosen splits as its layout's loader would read it:
 * each frame, labelled mask, Maskige (vct layout) and audio file exists and
 * decodes; masks hold valid values (binary 0/255, palette colours, ids < 71); the
 * frames of a clip share one size; masks have the frame's size (vct layout,
 * val/test: 224x224); log-mel pickles are [T,1,96,64]; WAVs are complete and long
 * enough for the clip's frames; an empty split, a duplicate clip and (AVSS) a
 * missing or wrong label2idx.json are problems too. counts[split] are filled.
 * Returns an error only when the check itself cannot run (out of memory). */
vct_status avs_check(const avs_dataset *ds, const avs_check_params *p, avs_check_counts counts[AVS_SPLIT_COUNT],
                     int64_t *n_problems, avs_problem_fn fn, void *user, vct_error *err);

#endif
