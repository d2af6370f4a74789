# Mutations of src/ops/loss.c; each must make ops/test_loss fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/loss.c|return (1.0f - t) * x + m + logf(expf(-m) + expf(-x - m));|return (1.0f - t) * x + logf(1.0f + expf(-x)) + 0.0f * m;|ops/test_loss
src/ops/loss.c|num -= (double)(weight ? weight[t] : 1.0f) * logp[i * K + t];|num -= logp[i * K + t];|ops/test_loss
src/ops/loss.c|s += weight ? weight[target[i]] : 1.0f;|s += 1.0f;|ops/test_loss
src/ops/loss.c|(c == t ? 1.0 : 0.0)|(c == t ? 0.0 : 1.0)|ops/test_loss
src/ops/loss.c|dlogits[i] += (sigmoid_f32(logits[i]) - target[i]) * dloss / fn;|dlogits[i] += (sigmoid_f32(logits[i]) - target[i]) * dloss * fn;|ops/test_loss
src/ops/loss.c|float g = dloss / (float)num_masks / (float)P;|float g = dloss / (float)num_masks;|ops/test_loss
src/ops/loss.c|return (float)(s / (double)P);|return (float)s;|ops/test_loss
src/ops/loss.c|part[m - m0] = 1.0f - (d.num + 1.0f) / (d.den + 1.0f);|part[m - m0] = 1.0f - d.num / d.den;|ops/test_loss
src/ops/loss.c|double ds = 2.0 * dnum * t[p] + dden;|double ds = dnum * t[p] + dden;|ops/test_loss
src/ops/loss.c|dice_sums d = {2.0f * (float)st, (float)ss + (float)tt};|dice_sums d = {2.0f * (float)st, (float)ss};|ops/test_loss
