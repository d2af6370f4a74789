# Mutations of the GEMM wrapper, linear, batched matmul and conv2d
# (src/ops/gemm.c, gemm_naive.c, linear.c, matmul.c, conv2d.c); each must make the named
# test fail. FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY (relative to the build tests dir)
src/ops/gemm.c|cblas_sgemm(CblasRowMajor,|cblas_sgemm(CblasColMajor,|ops/test_gemm
src/ops/gemm.c|dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K,|dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K - (K > 1),|ops/test_gemm
src/ops/gemm.c|for (int64_t n = 0; n < N; n++) c[n] *= beta;|for (int64_t n = 0; n < N; n++) c[n] += beta;|ops/test_gemm
src/ops/gemm.c|int want = threads_in_parallel() ? 1 : threads_max();|int want = threads_max();|ops/test_gemm
src/ops/gemm.c|VCT_TRY(run_one(be, transA, transB, M, N, K, alpha, A + i * strideA, lda,|VCT_TRY(run_one(be, transA, transB, M, N, K, alpha, A + i * strideB, lda,|ops/test_gemm
src/ops/gemm.c|B + i * strideB, ldb, beta, Ci, ldc, &e);|B, ldb, beta, Ci, ldc, &e);|ops/test_gemm
src/ops/gemm_naive.c|const int64_t sbk = transB ? 1 : ldb, sbn = transB ? ldb : 1;|const int64_t sbk = transB ? ldb : 1, sbn = transB ? 1 : ldb;|ops/test_gemm
src/ops/gemm_naive.c|if (beta != 0.0f) c += (double)beta * (double)C[m * ldc + n];|c += (double)beta * (double)C[m * ldc + n];|ops/test_gemm
src/ops/linear.c|memcpy(out + n * OC, bias, (size_t)OC * sizeof(float));|memset(out + n * OC, 0, (size_t)OC * sizeof(float));|ops/test_linear
src/ops/linear.c|for (int64_t o = o0; o < o1; o++) dbias[o] += (float)acc[o - o0];|for (int64_t o = o0; o < o1; o++) dbias[o] = (float)acc[o - o0];|ops/test_linear
src/ops/linear.c|int64_t o0 = b * BLK, o1 = o0 + BLK < OC ? o0 + BLK : OC;|int64_t o0 = b * BLK, o1 = o0 + BLK < OC ? o0 + BLK - 1 : OC;|ops/test_linear
src/ops/linear.c|weight, ld1(C), 1.0f, dinp, ld1(C),|weight, ld1(C), 0.0f, dinp, ld1(C),|ops/test_linear
src/ops/linear.c|gemm(1, 0, OC, C, N, 1.0f, dout|gemm(1, 0, OC, C, N, -1.0f, dout|ops/test_linear
src/ops/matmul.c|st = gemm(0, d.transB, Bt * M, N, K, 1.0f,|st = gemm(0, d.transB, Bt * M - 1, N, K, 1.0f,|ops/test_matmul
src/ops/matmul.c|out, ld1(N), M * N, Bt, err);|out, ld1(N), M * N, Bt > 1 ? Bt - 1 : Bt, err);|ops/test_matmul
src/ops/matmul.c|const int tb = !d->transB;|const int tb = d->transB;|ops/test_matmul
src/ops/matmul.c|B + b * sB, ldb, 1.0f,|B + b * sB, ldb, 0.0f,|ops/test_matmul
src/ops/matmul.c|A + b * sA, lda, dout + b * M * N, ld1(N), 1.0f,|A + b * sA, lda, dout, ld1(N), 1.0f,|ops/test_matmul
src/ops/matmul.c|return gemm(1, 0, N, K, Bt * M, 1.0f, dout,|return gemm(1, 0, N, K, M, 1.0f, dout,|ops/test_matmul
src/ops/conv2d.c|const int64_t ih = oh * d->stride_h - d->pad_h + kh * d->dil_h;|const int64_t ih = oh * d->stride_h - d->pad_h + kh;|ops/test_conv2d
src/ops/conv2d.c|h = ceil_pos(d->W - off, d->stride_w);|h = ceil_pos(d->W - off + 1, d->stride_w);|ops/test_conv2d
src/ops/conv2d.c|prow[ow * d->stride_w + off] += srow[ow];|prow[ow * d->stride_w + off] = srow[ow];|ops/test_conv2d
src/ops/conv2d.c|bias ? 1.0f : 0.0f, out + (b * OC + g * OCg) * P + oh0 * OW, P, err);|0.0f, out + (b * OC + g * OCg) * P + oh0 * OW, P, err);|ops/test_conv2d
src/ops/conv2d.c|out + (b * OC + g * OCg) * P + oh0 * OW, P, err);|out + (b * OC + g * OCg) * P, P, err);|ops/test_conv2d
src/ops/conv2d.c|const float *gout = dout + (b * OC + g * OCg) * P + oh0 * OW;|const float *gout = dout + (b * OC + g * OCg) * P;|ops/test_conv2d
src/ops/conv2d.c|dbias[o] += (float)s;|dbias[o] = (float)s;|ops/test_conv2d
src/ops/conv2d.c|gemm(0, 1, OCg, Kg, Pt, 1.0f, gout, P, cols, Pt, 1.0f,|gemm(0, 1, OCg, Kg, Pt, 1.0f, gout, P, cols, Pt, 0.0f,|ops/test_conv2d
src/ops/conv2d.c|d->stride_h == 1 && d->stride_w == 1 && d->pad_h == 0 &&|d->pad_h == 0 &&|ops/test_conv2d
src/ops/conv2d.c|int64_t t = i + pad - k * dil;|int64_t t = i + pad - k;|ops/test_conv2d
