/* conform_stages.c: the stage table of `vct conform`; see conform_stages.h.
 * Stages run in this order; a later stage reads what earlier ones dumped. */
#include "conform_stages.h"

vct_status conform_audio_front_end(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_audio_head(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_backbone(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_pixel_decoder(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_ppqg_assign(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_decoder(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_semantic_inference(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_train(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_optim(const conform_case *c, tensor_dict *dump, vct_error *err);

const conform_stage conform_stages[] = {
    {"audio.front_end", "audio_log_mel", conform_audio_front_end},
    {"audio.head", "audio.*, feats.audio_feat", conform_audio_head},
    {"backbone", "backbone.res*, pre_sam_backbone.res*, pre_sam_scale.*, fused_features.res*", conform_backbone},
    {"pixel_decoder", "multi_scale_features.*, mask_features, pixel_decoder.*", conform_pixel_decoder},
    {"ppqg.assign", "ppqg.assign_logits, ppqg.assign_idx", conform_ppqg_assign},
    {"decoder", "vision_queries, vision_query_prototypes, aux.*, decoder.*, pred_*, feats.proto_feat", conform_decoder},
    {"semantic_inference", "sem_seg, sem_seg_argmax", conform_semantic_inference},
    {"train", "train_fwd.*, loss.*, match.*, grad.*, gradnorm.*, grad_total_norm (train.npz)", conform_train},
    {"optim", "optim.* (optimizer steps on seeded gradients)", conform_optim},
};
const int conform_stage_count = (int)(sizeof conform_stages / sizeof conform_stages[0]);
