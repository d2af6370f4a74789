# Mutations of src/ops/activation.c; each must make ops/test_activation fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/activation.c|return x * 0.5f * (1.0f + erff(x * kSqrt1_2));|return x * 0.5f * (1.0f + erff(x));|ops/test_activation
src/ops/activation.c|float pdf = kBeta * expf(x * x * -0.5f);|float pdf = kBeta * expf(x * x * -1.0f);|ops/test_activation
src/ops/activation.c|? x : 0.0f;|? x : 0.01f * x;|ops/test_activation
src/ops/activation.c|if (!(out[i] <= 0.0f)) dinp[i] += dout[i];|if (!(out[i] < 0.0f)) dinp[i] += dout[i];|ops/test_activation
src/ops/activation.c|float sigmoid_f32(float x) { return 1.0f / (1.0f + expf(-x)); }|float sigmoid_f32(float x) { return (float)(1.0 / (1.0 + exp(-(double)x))); }|ops/test_activation
src/ops/activation.c|dinp[i] += dout[i] * (1.0f - out[i]) * out[i];|dinp[i] += dout[i] * (1.0f - out[i]);|ops/test_activation
