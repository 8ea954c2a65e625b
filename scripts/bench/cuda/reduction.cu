// reduction.cu: CUDA twin of samples/reduction/reduction.claw for
// scripts/bench/compare.py: grid-stride accumulation, a shared-memory tree
// down to one warp, then a __shfl_xor_sync butterfly; 256 threads per block.
// As in the sample, the grid-stride loop reads float4s when x is 16-byte
// aligned and threads 0..n % 4 - 1 add one tail element each.
#define BLOCK 256
#define WARP 32

__global__ void __launch_bounds__(BLOCK)
reduce_sum(unsigned n, const float *__restrict__ x, float *__restrict__ partials)
{
    __shared__ float scratch[BLOCK];
    unsigned tid = threadIdx.x;
    unsigned gid = blockIdx.x * BLOCK + tid, stride = gridDim.x * BLOCK;
    float acc = 0.0f;
    if (((unsigned long long)x & 15) == 0) {
        unsigned n4 = n / 4;
        for (unsigned i = gid; i < n4; i += stride) {
            float4 v = ((const float4 *)x)[i];
            acc += ((v.x + v.y) + v.z) + v.w;
        }
        if (gid < n % 4)
            acc += x[4 * n4 + gid];
    } else {
        for (unsigned i = gid; i < n; i += stride)
            acc += x[i];
    }
    scratch[tid] = acc;
    __syncthreads();
    for (unsigned live = BLOCK; live > WARP; live /= 2) {
        if (tid < live / 2)
            scratch[tid] += scratch[tid + live / 2];
        __syncthreads();
    }
    float v = scratch[tid % WARP];
    for (int off = WARP / 2; off > 0; off /= 2)
        v += __shfl_xor_sync(0xffffffffu, v, off);
    if (tid == 0)
        partials[blockIdx.x] = v;
}
