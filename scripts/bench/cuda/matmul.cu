// matmul.cu: CUDA twin of samples/matmul/matmul.claw for
// scripts/bench/compare.py: 64 x 64 tile of c per 16 x 16 block, BK = 16
// shared tiles of a and b (zero-padded at the edges), a 4 x 4 register block
// of c per thread at rows ty + 16i and columns tx + 16j.
#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4
#define THREADS 256
#define LOADS 4

__global__ void __launch_bounds__(THREADS)
matmul(unsigned m, unsigned n, unsigned k, const float *__restrict__ a,
       const float *__restrict__ b, float *__restrict__ c)
{
    __shared__ float a_tile[BM * BK];
    __shared__ float b_tile[BK * BN];
    unsigned tx = threadIdx.x, ty = threadIdx.y;
    unsigned tid = ty * 16 + tx;
    unsigned row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    float acc[TM * TN] = {};

    for (unsigned k0 = 0; k0 < k; k0 += BK) {
#pragma unroll
        for (unsigned l = 0; l < LOADS; l++) {
            unsigned e = l * THREADS + tid;
            unsigned ar = row0 + e / BK, ak = k0 + e % BK;
            a_tile[e] = ar < m && ak < k ? a[ar * k + ak] : 0.0f;
            unsigned bk = k0 + e / BN, bc = col0 + e % BN;
            b_tile[e] = bk < k && bc < n ? b[bk * n + bc] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (unsigned t = 0; t < BK; t++) {
            float a_frag[TM], b_frag[TN];
#pragma unroll
            for (unsigned i = 0; i < TM; i++)
                a_frag[i] = a_tile[(ty + 16 * i) * BK + t];
#pragma unroll
            for (unsigned j = 0; j < TN; j++)
                b_frag[j] = b_tile[t * BN + tx + 16 * j];
#pragma unroll
            for (unsigned i = 0; i < TM; i++)
#pragma unroll
                for (unsigned j = 0; j < TN; j++)
                    acc[i * TN + j] += a_frag[i] * b_frag[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (unsigned i = 0; i < TM; i++) {
        unsigned r = row0 + ty + 16 * i;
#pragma unroll
        for (unsigned j = 0; j < TN; j++) {
            unsigned col = col0 + tx + 16 * j;
            if (r < m && col < n)
                c[r * n + col] = acc[i * TN + j];
        }
    }
}
