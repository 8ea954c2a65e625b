// histogram.cu: CUDA twin of samples/histogram/histogram.claw for
// scripts/bench/compare.py: per-block shared histogram with shared atomics,
// then one global atomicAdd per non-zero bin; 256 threads per block.
#define NBINS 256

__global__ void __launch_bounds__(256)
histogram(unsigned n, const unsigned *__restrict__ x, unsigned *__restrict__ hist)
{
    __shared__ unsigned local[NBINS];
    unsigned tid = threadIdx.x;
    for (unsigned b = tid; b < NBINS; b += blockDim.x)
        local[b] = 0;
    __syncthreads();
    unsigned stride = gridDim.x * blockDim.x;
    for (unsigned i = blockIdx.x * blockDim.x + tid; i < n; i += stride)
        atomicAdd(&local[x[i] % NBINS], 1u);
    __syncthreads();
    for (unsigned b = tid; b < NBINS; b += blockDim.x) {
        unsigned count = local[b];
        if (count != 0)
            atomicAdd(&hist[b], count);
    }
}
