# Mutations of src/ops/pool.c; each must make ops/test_pool fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/pool.c|(v > m|(v >= m|ops/test_pool
src/ops/pool.c|isnan(v)) {|isnan(m)) {|ops/test_pool
src/ops/pool.c|return (in + 2 * pad - k) / s + 1;|return (in + 2 * pad - k + s - 1) / s + 1;|ops/test_pool
src/ops/pool.c|int64_t best = h0 * W + w0;|int64_t best = 0;|ops/test_pool
src/ops/pool.c|dx[a] += dout[nc * P + i];|dx[a] = dout[nc * P + i];|ops/test_pool
src/ops/pool.c|r.div = (float)(p.exclude_pad ? (r.h1 - r.h0) * (r.w1 - r.w0) : padded);|r.div = (float)(p.exclude_pad ? padded : (r.h1 - r.h0) * (r.w1 - r.w0));|ops/test_pool
src/ops/pool.c|float g = dout[(nc * OH + oh) * OW + ow] / r.div;|float g = dout[(nc * OH + oh) * OW + ow];|ops/test_pool
