// softmax.cu: CUDA twin of samples/softmax/softmax.claw for
// scripts/bench/compare.py: one 256-thread block per row; a block maximum
// and a block sum of exponentials through shared-memory trees, then the
// normalised write. expf as nvcc compiles it without --use_fast_math.
// Like the sample, each pass reads and writes float4s when the row starts
// 16-byte aligned, the last cols % 4 elements (or a misaligned row) one at a
// time.
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

__device__ __forceinline__ float4
exp4(float4 v, float m)
{
    return make_float4(expf(v.x - m), expf(v.y - m), expf(v.z - m), expf(v.w - m));
}

__global__ void __launch_bounds__(BLOCK)
softmax(unsigned rows, unsigned cols, const float *__restrict__ x, float *__restrict__ y)
{
    unsigned row = blockIdx.x;
    if (row >= rows || cols == 0)
        return;
    unsigned base = row * cols, tid = threadIdx.x;
    unsigned n4 = 0;
    if ((((unsigned long long)x | (unsigned long long)y) & 15) == 0 && base % 4 == 0)
        n4 = cols / 4;
    const float4 *x4 = (const float4 *)x + base / 4;
    float4 *y4 = (float4 *)y + base / 4;
    unsigned c0 = 4 * n4, rest = cols - c0;
    float m = x[base];
    for (unsigned j = tid; j < n4; j += BLOCK) {
        float4 v = x4[j];
        m = fmaxf(m, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)));
    }
    for (unsigned j = tid; j < rest; j += BLOCK)
        m = fmaxf(m, x[base + c0 + j]);
    float row_max = block_max(m);
    float s = 0.0f;
    for (unsigned j = tid; j < n4; j += BLOCK) {
        float4 e = exp4(x4[j], row_max);
        s += ((e.x + e.y) + e.z) + e.w;
    }
    for (unsigned j = tid; j < rest; j += BLOCK)
        s += expf(x[base + c0 + j] - row_max);
    float inv = 1.0f / block_sum(s);
    for (unsigned j = tid; j < n4; j += BLOCK) {
        float4 e = exp4(x4[j], row_max);
        y4[j] = make_float4(e.x * inv, e.y * inv, e.z * inv, e.w * inv);
    }
    for (unsigned j = tid; j < rest; j += BLOCK)
        y[base + c0 + j] = expf(x[base + c0 + j] - row_max) * inv;
}
