/* vggish.h: the VGGish convolutional stack, frozen (forward only)
 * (ref: torchvggish/vggish.py VGG.features with compact=False; model.md §1.3).
 *
 *   [A,1,96,64] conv(1->64) relu pool      [A,64,48,32]
 *               conv(64->128) relu pool    [A,128,24,16]
 *               conv(128->256) relu conv(256->256) relu pool   [A,256,12,8]
 *               conv(256->512) relu conv(512->512) relu pool   [A,512,6,4]
 * Every conv is 3x3, stride 1, padding 1, with bias; every pool MaxPool2d(2,2).
 * Keys: audio_backbone.features.{0,3,6,8,11,13}.{weight,bias}. The embedding MLP
 * (audio_backbone.embeddings.*) is never executed by VCT and is not loaded.
 * The official training freezes VGGish, so there is no backward. */
#ifndef VCT_AUDIO_VGGISH_H
#define VCT_AUDIO_VGGISH_H

#include "core/arena.h"
#include "autograd/param_table.h"

#define VGGISH_CONVS 6

typedef struct vggish_weights {
    param_tensor conv_weight[VGGISH_CONVS]; /* [out, in, 3, 3] */
    param_tensor conv_bias[VGGISH_CONVS];   /* [out] */
} vggish_weights;

void vggish_register(param_table *pt, const char *prefix, vggish_weights *w);
/* Bytes of arena vggish_forward needs for A examples. */
size_t vggish_arena_bytes(int64_t A);
/* logmel [A,1,96,64] -> out [A,512,6,4] */
vct_status vggish_forward(const vggish_weights *w, const float *logmel, int64_t A, float *out, arena *scratch,
                          vct_error *err);

#endif
