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
    unsigned n4 = 0;
    unsigned long long ptrs = (unsigned long long)x | (unsigned long long)gamma |
                              (unsigned long long)beta | (unsigned long long)y;
    if ((ptrs & 15) == 0 && base % 4 == 0)
        n4 = cols / 4;
    const float4 *x4 = (const float4 *)x + base / 4, *g4 = (const float4 *)gamma,
                 *b4 = (const float4 *)beta;
    float4 *y4 = (float4 *)y + base / 4;
    unsigned c0 = 4 * n4, rest = cols - c0;
    float s = 0.0f;
    for (unsigned j = tid; j < n4; j += BLOCK) {
        float4 v = x4[j];
        s += ((v.x + v.y) + v.z) + v.w;
    }
    for (unsigned j = tid; j < rest; j += BLOCK)
        s += x[base + c0 + j];
    float mean = block_sum(s) / n;
    float d2 = 0.0f;
    for (unsigned j = tid; j < n4; j += BLOCK) {
        float4 v = x4[j];
        float dx = v.x - mean, dy = v.y - mean, dz = v.z - mean, dw = v.w - mean;
        d2 += fmaf(dw, dw, fmaf(dz, dz, fmaf(dy, dy, dx * dx)));
    }
    for (unsigned j = tid; j < rest; j += BLOCK) {
        float d = x[base + c0 + j] - mean;
        d2 += d * d;
    }
    float inv_std = rsqrtf(block_sum(d2) / n + eps);
    for (unsigned j = tid; j < n4; j += BLOCK) {
        float4 v = x4[j], g = g4[j], b = b4[j];
        y4[j] = make_float4((v.x - mean) * inv_std * g.x + b.x, (v.y - mean) * inv_std * g.y + b.y,
                            (v.z - mean) * inv_std * g.z + b.z, (v.w - mean) * inv_std * g.w + b.w);
    }
    for (unsigned j = tid; j < rest; j += BLOCK)
        y[base + c0 + j] = (x[base + c0 + j] - mean) * inv_std * gamma[c0 + j] + beta[c0 + j];
}
