# Mutations of src/ops/gumbel_assign.c; each must make build/tests/ops/test_gumbel_assign fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/gumbel_assign.c|if (s[q * N] > s[best * N]) best = q;|if (s[q * N] >= s[best * N]) best = q;|ops/test_gumbel_assign
src/ops/gumbel_assign.c|float den = sum + assign_eps;|float den = sum + assign_eps * 0.5f;|ops/test_gumbel_assign
src/ops/gumbel_assign.c|if (noise) z = (z + noise[base + q * N]) / tau;|if (noise) z = z + noise[base + q * N];|ops/test_gumbel_assign
src/ops/gumbel_assign.c|dden[bq] = (float)(-acc / ((double)den * den));|dden[bq] = (float)(-acc / (double)den);|ops/test_gumbel_assign
src/ops/gumbel_assign.c|float dz = soft[base + q * N] * (ds - (float)dot);|float dz = soft[base + q * N] * ds;|ops/test_gumbel_assign
src/ops/gumbel_assign.c|dlogits[base + q * N] += gumbel ? dz / tau : dz;|dlogits[base + q * N] += dz;|ops/test_gumbel_assign
src/ops/gumbel_assign.c|float h = index[b * N + n] == q ? 1.0f : 0.0f;|float h = 0.0f;|ops/test_gumbel_assign
src/ops/gumbel_assign.c|attn[base + q * N] = (h - s[q * N]) + s[q * N];|attn[base + q * N] = (h - s[q * N]) * 0.0f + s[q * N];|ops/test_gumbel_assign
