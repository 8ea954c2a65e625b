// attention.cu: CUDA twin of samples/attention/attention.claw for
// scripts/bench/compare.py, on WMMA, with the same structure: 64 queries
// of one head per block of four warps (16 each, Q fragments kept in
// registers), key blocks of 32 staged in shared memory (K rows padded by 8
// halves, V transposed with the same copy order as the sample), S = Q K^T with K^T read column-major from the K rows, online
// softmax with one query row per lane (running maximum and sum in
// registers, P rounded to f16 into shared memory), the output accumulator
// rescaled per row through shared memory, O += P V, and O / l written out
// through shared memory. D = 64.
#include <cuda_fp16.h>
#include <mma.h>

using namespace nvcuda;

#define D 64
#define BQ 64
#define BKV 32
#define KS 72
// the transposed V's stride: the sample pads 32 by 4 (36); WMMA needs a
// multiple of 8 halves.
#define VS 40
#define PS 40
#define P_SLOT 640
#define O_SLOT 1024
#define KV_VECS 512

struct __align__(8) half4 {
    __half x, y, z, w;
};

__device__ __forceinline__ void
put4(__half *o, half4 x)
{
    o[0] = x.x; o[1] = x.y; o[2] = x.z; o[3] = x.w;
}

extern "C" __global__ void __launch_bounds__(128)
attention(unsigned seq, unsigned heads, float scale, unsigned causal, const __half *__restrict__ q,
          const __half *__restrict__ k, const __half *__restrict__ v, float *__restrict__ o)
{
    __shared__ __align__(32) __half sk[BKV * KS];
    __shared__ __align__(32) __half sv[D * VS];
    __shared__ __align__(32) __half sp[4 * P_SLOT];
    __shared__ __align__(32) float so[4 * O_SLOT];
    __shared__ float sl[64];
    const half4 *qv = (const half4 *)q, *kv = (const half4 *)k, *vv = (const half4 *)v;
    unsigned tid = threadIdx.x, head = blockIdx.y, q0 = blockIdx.x * BQ;
    unsigned base = head * seq * D, sg = tid / 32, lane = tid % 32;
    float sl2 = scale * 1.4426950408889634f;

    for (unsigned e = tid; e < 2 * KV_VECS; e += blockDim.x) {
        unsigned r = e / 16, d = (e % 16) * 4;
        half4 x = {};
        if (q0 + r < seq)
            x = qv[(base + (q0 + r) * D + d) / 4];
        put4((r < 32 ? sk : sv) + (r % 32) * KS + d, x);
    }
    __syncthreads();
    wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> qa[4];
    const __half *qs = (sg < 2 ? sk : sv) + (sg % 2) * 16 * KS;
#pragma unroll
    for (int dk = 0; dk < 4; dk++)
        wmma::load_matrix_sync(qa[dk], qs + dk * 16, KS);

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4];
#pragma unroll
    for (int i = 0; i < 4; i++)
        wmma::fill_fragment(acc[i], 0.0f);
    // Row `lane` of the subgroup's 16 (lanes 16..31 own none).
    float m_run = -INFINITY, l_run = 0.0f, fac = 1.0f;
    bool owner = lane < 16;
    unsigned qi = q0 + sg * 16 + lane;

    unsigned nblocks = (seq + BKV - 1) / BKV;
    if (causal) {
        unsigned last = (q0 + BQ - 1) / BKV + 1;
        nblocks = last < nblocks ? last : nblocks;
    }
    for (unsigned kb = 0; kb < nblocks; kb++) {
        unsigned k0 = kb * BKV;
        __syncthreads();
        for (unsigned c = tid; c < KV_VECS; c += blockDim.x) {
            unsigned r = ((c >> 2) & 7) + ((c >> 7) << 3), d = ((c & 3) + ((c >> 5) & 3) * 4) * 4;
            half4 xk = {}, xv = {};
            if (k0 + r < seq) {
                unsigned g = (base + (k0 + r) * D + d) / 4;
                xk = kv[g];
                xv = vv[g];
            }
            put4(sk + r * KS + d, xk);
            __half *vo = sv + d * VS + r;
            vo[0] = xv.x; vo[VS] = xv.y; vo[2 * VS] = xv.z; vo[3 * VS] = xv.w;
        }
        __syncthreads();
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> s;
            wmma::fill_fragment(s, 0.0f);
#pragma unroll
            for (int dk = 0; dk < 4; dk++) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> kt;
                wmma::load_matrix_sync(kt, sk + j * 16 * KS + dk * 16, KS);
                wmma::mma_sync(s, qa[dk], kt, s);
            }
            wmma::store_matrix_sync(so + sg * O_SLOT + j * 16, s, D, wmma::mem_row_major);
        }
        __syncthreads();
        if (owner) {
            const float *srow = so + sg * O_SLOT + lane * D;
            float mx = m_run;
            for (unsigned j = 0; j < BKV; j++) {
                unsigned key = k0 + j;
                if (key < seq && (!causal || key <= qi))
                    mx = fmaxf(mx, srow[j] * sl2);
            }
            float mu = mx == -INFINITY ? 0.0f : mx;
            float f = exp2f(m_run - mu), sum = 0.0f;
            for (unsigned j = 0; j < BKV; j++) {
                unsigned key = k0 + j;
                __half p = __float2half(0.0f);
                if (key < seq && (!causal || key <= qi))
                    p = __float2half(exp2f(srow[j] * sl2 - mu));
                sp[sg * P_SLOT + lane * PS + j] = p;
                sum += __half2float(p);
            }
            l_run = l_run * f + sum;
            m_run = mx;
            fac = f;
        }
        __syncthreads();
#pragma unroll
        for (int dj = 0; dj < 4; dj++)
            wmma::store_matrix_sync(so + sg * O_SLOT + dj * 16, acc[dj], D, wmma::mem_row_major);
        __syncthreads();
        if (owner)
            for (unsigned d = 0; d < D; d++)
                so[sg * O_SLOT + lane * D + d] *= fac;
        __syncthreads();
#pragma unroll
        for (int dj = 0; dj < 4; dj++)
            wmma::load_matrix_sync(acc[dj], so + sg * O_SLOT + dj * 16, D, wmma::mem_row_major);
#pragma unroll
        for (int kk = 0; kk < 2; kk++) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> pa;
            wmma::load_matrix_sync(pa, sp + sg * P_SLOT + kk * 16, PS);
#pragma unroll
            for (int dj = 0; dj < 4; dj++) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> vb;
                wmma::load_matrix_sync(vb, sv + dj * 16 * VS + kk * 16, VS);
                wmma::mma_sync(acc[dj], pa, vb, acc[dj]);
            }
        }
    }
    __syncthreads();
#pragma unroll
    for (int dj = 0; dj < 4; dj++)
        wmma::store_matrix_sync(so + sg * O_SLOT + dj * 16, acc[dj], D, wmma::mem_row_major);
    if (owner)
        sl[sg * 16 + lane] = 1.0f / l_run;
    __syncthreads();
    for (unsigned w = lane; w < O_SLOT; w += 32) {
        unsigned r = w / D, qr = q0 + sg * 16 + r;
        if (qr < seq)
            o[base + qr * D + w % D] = so[sg * O_SLOT + w] * sl[sg * 16 + r];
    }
}
