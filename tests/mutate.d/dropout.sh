# Mutations of src/ops/dropout.c; each must make ops/test_dropout fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/dropout.c|return 1.0f / (float)(1.0 - p);|return 1.0f / (float)(1.0 + p);|ops/test_dropout
src/ops/dropout.c|? x[i] * scale : x[i] * 0.0f;|? x[i] * scale : x[i] * 0.5f;|ops/test_dropout
src/ops/dropout.c|masked_scale(dinp, dout, p > 0 && p < 1 ? keep : NULL, n, dropout_scale(p), 1);|masked_scale(dinp, dout, p > 0 && p < 1 ? keep : NULL, n, dropout_scale(p), 0);|ops/test_dropout
src/ops/dropout.c|return keep_prob > 0.0 ? 1.0f / (float)keep_prob : 1.0f;|return keep_prob > 0.0 ? 1.0f / (float)drop_prob : 1.0f;|ops/test_dropout
src/ops/dropout.c|? scale : 0.0f;|? scale : 1.0f;|ops/test_dropout
src/ops/dropout.c|for (int64_t i = b * D; i < (b + 1) * D; i++) {|for (int64_t i = b; i < B * D; i += B) {|ops/test_dropout
