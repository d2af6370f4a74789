# Mutations of src/ops/topk.c; each must make ops/test_topk fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/topk.c|return ai < bi;|return ai > bi;|ops/test_topk
src/ops/topk.c|if (an != bn) return an;|if (an != bn) return bn;|ops/test_topk
src/ops/topk.c|return av > bv;|return av < bv;|ops/test_topk
src/ops/topk.c|for (int64_t i = K / 2 - 1; i >= 0; i--) sift_down(v, ix, i, K);|for (int64_t i = K / 2 - 1; i >= K; i--) sift_down(v, ix, i, K);|ops/test_topk
src/ops/topk.c|for (int64_t end = K - 1; end > 0; end--) {|for (int64_t end = K - 1; end > 1; end--) {|ops/test_topk
src/ops/topk.c|dinp[r * N + i] += dvalues[r * K + k];|dinp[r * N + k] += dvalues[r * K + k];|ops/test_topk
