// scan.cu: CUDA twin of samples/scan/scan.claw for scripts/bench/compare.py:
// Hillis-Steele inclusive scan of 256 elements per block in shared memory
// (8 steps, read and write in separate barrier intervals), and the kernel
// that adds the scanned block totals; 256 threads per block.
#define BLOCK 256

__global__ void __launch_bounds__(BLOCK)
scan_blocks(unsigned n, const unsigned *__restrict__ x, unsigned *__restrict__ y,
            unsigned *__restrict__ block_sums)
{
    __shared__ unsigned buf[BLOCK];
    unsigned tid = threadIdx.x;
    unsigned i = blockIdx.x * BLOCK + tid;
    buf[tid] = i < n ? x[i] : 0u;
    __syncthreads();
#pragma unroll
    for (unsigned offset = 1; offset < BLOCK; offset <<= 1) {
        unsigned t = buf[tid];
        if (tid >= offset)
            t += buf[tid - offset];
        __syncthreads();
        buf[tid] = t;
        __syncthreads();
    }
    if (i < n)
        y[i] = buf[tid];
    if (tid == BLOCK - 1)
        block_sums[blockIdx.x] = buf[tid];
}

__global__ void __launch_bounds__(BLOCK)
add_offsets(unsigned n, unsigned *__restrict__ y, const unsigned *__restrict__ scanned)
{
    unsigned b = blockIdx.x;
    unsigned i = b * BLOCK + threadIdx.x;
    if (b > 0 && i < n)
        y[i] += scanned[b - 1];
}
