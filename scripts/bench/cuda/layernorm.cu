// layernorm.cu: CUDA twin of samples/layernorm/layernorm.claw for
// scripts/bench/compare.py: one 256-thread block per row; the mean and the
// variance around it through two shared-memory tree sums, then one
// normalising pass with rsqrtf.
#define BLOCK 256

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
layernorm(unsigned rows, unsigned cols, float eps, const float *__restrict__ x,
          const float *__restrict__ gamma, const float *__restrict__ beta,
          float *__restrict__ y)
{
    unsigned row = blockIdx.x;
    if (row >= rows || cols == 0)
        return;
    unsigned base = row * cols, tid = threadIdx.x;
    float n = (float)cols;
    float s = 0.0f;
    for (unsigned j = tid; j < cols; j += BLOCK)
        s += x[base + j];
    float mean = block_sum(s) / n;
    float d2 = 0.0f;
    for (unsigned j = tid; j < cols; j += BLOCK) {
        float d = x[base + j] - mean;
        d2 += d * d;
    }
    float inv_std = rsqrtf(block_sum(d2) / n + eps);
    for (unsigned j = tid; j < cols; j += BLOCK)
        y[base + j] = (x[base + j] - mean) * inv_std * gamma[j] + beta[j];
}
