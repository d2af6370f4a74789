# Mutations of src/ops/softmax.c; each must make build/tests/ops/test_softmax fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/softmax.c|y[c] = expf(x[c] - m);|y[c] = expf(x[c] - 0.0f * m);|build/tests/ops/test_softmax
src/ops/softmax.c|if (x[c] > m) m = x[c];|if (x[c] < m) m = x[c];|build/tests/ops/test_softmax
src/ops/softmax.c|dx[c] += (float)(y[c] * (dy[c] - s));|dx[c] += (float)(y[c] * (dy[c] + s));|build/tests/ops/test_softmax
src/ops/softmax.c|y[c] = (x[c] - m) - lse;|y[c] = (x[c] - m) + lse;|build/tests/ops/test_softmax
src/ops/softmax.c|dx[c] += (float)(dy[c] - exp((double)y[c]) * s);|dx[c] += (float)(dy[c] - exp((double)y[c]));|build/tests/ops/test_softmax
src/ops/softmax.c|dx[c] += (float)(dy[c] - exp((double)y[c]) * s);|dx[c] = (float)(dy[c] - exp((double)y[c]) * s);|build/tests/ops/test_softmax
