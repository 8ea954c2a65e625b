// softmax.cu: CUDA twin of samples/softmax/softmax.claw for
// scripts/bench/compare.py: one 256-thread block per row; a block maximum
// and a block sum of exponentials through shared-memory trees, then the
// normalised write. expf as nvcc compiles it without --use_fast_math.
#define BLOCK 256

__device__ __forceinline__ float
block_max(float v)
{
    __shared__ float part[BLOCK];
    unsigned tid = threadIdx.x;
    part[tid] = v;
    __syncthreads();
    for (unsigned s = BLOCK / 2; s > 0; s >>= 1) {
        if (tid < s)
            part[tid] = fmaxf(part[tid], part[tid + s]);
        __syncthreads();
    }
    float result = part[0];
    __syncthreads();
    return result;
}

__device__ __forceinline__ float
block_sum(float v)
{
    __shared__ float part[BLOCK];
    unsigned tid = threadIdx.x;
    part[tid] = v;
    __syncthreads();
    for (unsigned s = BLOCK / 2; s > 0; s >>= 1) {
        if (tid < s)
            part[tid] += part[tid + s];
        __syncthreads();
    }
    float result = part[0];
    __syncthreads();
    return result;
}

__global__ void __launch_bounds__(BLOCK)
softmax(unsigned rows, unsigned cols, const float *__restrict__ x, float *__restrict__ y)
{
    unsigned row = blockIdx.x;
    if (row >= rows || cols == 0)
        return;
    unsigned base = row * cols, tid = threadIdx.x;
    float m = x[base];
    for (unsigned j = tid; j < cols; j += BLOCK)
        m = fmaxf(m, x[base + j]);
    float row_max = block_max(m);
    float s = 0.0f;
    for (unsigned j = tid; j < cols; j += BLOCK)
        s += expf(x[base + j] - row_max);
    float inv = 1.0f / block_sum(s);
    for (unsigned j = tid; j < cols; j += BLOCK)
        y[base + j] = expf(x[base + j] - row_max) * inv;
}
