// reduction.cu: CUDA twin of samples/reduction/reduction.claw for
// scripts/bench/compare.py: grid-stride accumulation, a shared-memory tree
// down to one warp, then a __shfl_xor_sync butterfly; 256 threads per block.
#define BLOCK 256
#define WARP 32

__global__ void __launch_bounds__(BLOCK)
reduce_sum(unsigned n, const float *__restrict__ x, float *__restrict__ partials)
{
    __shared__ float scratch[BLOCK];
    unsigned tid = threadIdx.x;
    float acc = 0.0f;
    for (unsigned i = blockIdx.x * BLOCK + tid; i < n; i += gridDim.x * BLOCK)
        acc += x[i];
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
