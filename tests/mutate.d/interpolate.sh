# Mutations of src/ops/interpolate.c; each must make build/tests/ops/test_interpolate fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/interpolate.c|: (double)ratio * ((double)d + 0.5) - 0.5;|: (double)in / (double)out * ((double)d + 0.5) - 0.5;|ops/test_interpolate
src/ops/interpolate.c|ratio = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;|ratio = out > 1 ? (float)in / (float)out : 0.0f;|ops/test_interpolate
src/ops/interpolate.c|if (src < 0.0) src = 0.0;|if (src < -1.0) src = 0.0;|ops/test_interpolate
src/ops/interpolate.c|*i1 = a < in - 1 ? a + 1 : a;|*i1 = a < in - 2 ? a + 1 : a;|ops/test_interpolate
src/ops/interpolate.c|float t0 = fmaf(r0[j0], p, r0[j1] * q);|float t0 = r0[j0] * p + r0[j1] * q;|ops/test_interpolate
src/ops/interpolate.c|const int cl = uses_channels_last_kernel(C, H, W);|const int cl = uses_channels_last_kernel(2, H, W);|ops/test_interpolate
src/ops/interpolate.c|s += (double)w11 * r1[j1];|s += (double)(float)(w11 * r1[j1]);|ops/test_interpolate
src/ops/interpolate.c|r0[j1] += a * q * g;|r0[j1] += a * p * g;|ops/test_interpolate
src/ops/interpolate.c|r1[j1] += b * q * g;|r1[j0] += b * q * g;|ops/test_interpolate
