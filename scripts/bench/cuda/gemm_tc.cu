// gemm_tc.cu: CUDA twin of samples/gemm_tc/gemm_tc.claw for
// scripts/bench/compare.py, on WMMA (16x16x16 f16 -> f32 fragments), with the
// same tiling: a 64 x 128 block tile of c for four warps (2 x 2, each 32 x 64
// with 2 x 4 accumulators), K step 32, two shared buffers of each tile, b
// stored transposed (column-major fragments, the same copy order), 8-byte
// loads of four halves (zeros past the edges), the next step's copy issued before the current step's MMAs, one
// barrier per step, and the epilogue c = alpha acc + beta c through a
// 16 x 16 shared tile per warp.
#include <cuda_fp16.h>
#include <mma.h>

using namespace nvcuda;

#define BM 64
#define BN 128
#define BK 32
#define AS 40
// b's column stride: the Claw sample pads 32 by 4 (36) to stay within
// lavapipe's 32 KiB; WMMA needs a stride that is a multiple of 8 halves.
#define BS 40
#define A_TILE (BM * AS)
#define B_TILE (BN * BS)
#define A_VECS (BM * BK / 4)
#define B_VECS (BK * BN / 4)
#define WM 32
#define WN 64

struct __align__(8) half4 {
    __half x, y, z, w;
};

__device__ __forceinline__ void
copy_step(__half *sa, __half *sb, const half4 *av, const half4 *bv, unsigned m, unsigned n,
          unsigned k, unsigned row0, unsigned col0, unsigned k0)
{
    for (unsigned v = threadIdx.x; v < A_VECS; v += blockDim.x) {
        unsigned r = v / 8, t = (v % 8) * 4;
        half4 x = {};
        if (row0 + r < m && k0 + t < k)
            x = av[((row0 + r) * k + k0 + t) / 4];
        __half *o = sa + r * AS + t;
        o[0] = x.x; o[1] = x.y; o[2] = x.z; o[3] = x.w;
    }
    for (unsigned v = threadIdx.x; v < B_VECS; v += blockDim.x) {
        unsigned t = ((v >> 2) & 7) + ((v >> 8) << 3), j = ((v & 3) + ((v >> 5) & 7) * 4) * 4;
        half4 x = {};
        if (k0 + t < k && col0 + j < n)
            x = bv[((k0 + t) * n + col0 + j) / 4];
        __half *o = sb + j * BS + t;
        o[0] = x.x; o[BS] = x.y; o[2 * BS] = x.z; o[3 * BS] = x.w;
    }
}

extern "C" __global__ void __launch_bounds__(128)
gemm_tc(unsigned m, unsigned n, unsigned k, float alpha, float beta, const __half *__restrict__ a,
        const __half *__restrict__ b, float *__restrict__ c)
{
    __shared__ __align__(32) __half sa[2 * A_TILE];
    __shared__ __align__(32) __half sb[2 * B_TILE];
    __shared__ __align__(32) float sc[4 * 256];
    const half4 *av = (const half4 *)a, *bv = (const half4 *)b;
    unsigned row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    unsigned sg = threadIdx.x / 32, lane = threadIdx.x % 32;
    unsigned wr = (sg / 2) * WM, wc = (sg % 2) * WN;
    unsigned steps = (k + BK - 1) / BK;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[8];
#pragma unroll
    for (int i = 0; i < 8; i++)
        wmma::fill_fragment(acc[i], 0.0f);

    copy_step(sa, sb, av, bv, m, n, k, row0, col0, 0);
    __syncthreads();
    for (unsigned s = 0; s < steps; s++) {
        unsigned cur = s % 2;
        if (s + 1 < steps)
            copy_step(sa + (1 - cur) * A_TILE, sb + (1 - cur) * B_TILE, av, bv, m, n, k, row0,
                      col0, (s + 1) * BK);
        const __half *pa = sa + cur * A_TILE + wr * AS, *pb = sb + cur * B_TILE + wc * BS;
        for (unsigned kk = 0; kk < 2; kk++) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> ta0, ta1;
            wmma::load_matrix_sync(ta0, pa + kk * 16, AS);
            wmma::load_matrix_sync(ta1, pa + 16 * AS + kk * 16, AS);
#pragma unroll
            for (unsigned j = 0; j < 4; j++) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> tb;
                wmma::load_matrix_sync(tb, pb + j * 16 * BS + kk * 16, BS);
                wmma::mma_sync(acc[j], ta0, tb, acc[j]);
                wmma::mma_sync(acc[4 + j], ta1, tb, acc[4 + j]);
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (unsigned t = 0; t < 8; t++) {
        unsigned i = t / 4, j = t % 4;
        wmma::store_matrix_sync(sc + sg * 256, acc[t], 16, wmma::mem_row_major);
        __syncthreads();
        for (unsigned e = lane; e < 256; e += 32) {
            unsigned r = row0 + wr + i * 16 + e / 16, col = col0 + wc + j * 16 + e % 16;
            if (r < m && col < n) {
                float y = alpha * sc[sg * 256 + e];
                if (beta != 0.0f)
                    y += beta * c[r * n + col];
                c[r * n + col] = y;
            }
        }
        __syncthreads();
    }
}
