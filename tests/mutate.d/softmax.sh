# Mutations of src/ops/softmax.c; each must make ops/test_softmax fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/softmax.c|y[c] = expf(x[c] - m);|y[c] = expf(x[c] - 0.0f * m);|ops/test_softmax
src/ops/softmax.c|if (x[c] > m) m = x[c];|if (x[c] < m) m = x[c];|ops/test_softmax
src/ops/softmax.c|dx[c] += (float)(y[c] * (dy[c] - s));|dx[c] += (float)(y[c] * (dy[c] + s));|ops/test_softmax
src/ops/softmax.c|y[c] = (x[c] - m) - lse;|y[c] = (x[c] - m) + lse;|ops/test_softmax
src/ops/softmax.c|dx[c] += (float)(dy[c] - exp((double)y[c]) * s);|dx[c] += (float)(dy[c] - exp((double)y[c]));|ops/test_softmax
src/ops/softmax.c|dx[c] += (float)(dy[c] - exp((double)y[c]) * s);|dx[c] = (float)(dy[c] - exp((double)y[c]) * s);|ops/test_softmax
