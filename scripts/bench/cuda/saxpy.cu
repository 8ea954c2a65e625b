// saxpy.cu: CUDA twin of samples/saxpy/saxpy.claw for scripts/bench/compare.py:
// grid-stride loop, 256 threads per block (__launch_bounds__ as @workgroup),
// 16 bytes per access through float4 when x and y are 16-byte aligned, the
// last n % 4 elements (or everything, misaligned) one at a time: the form a
// CUDA programmer writes for a memory-bound kernel.
__global__ void __launch_bounds__(256)
saxpy(unsigned n, float a, const float *__restrict__ x, float *__restrict__ y)
{
    unsigned stride = gridDim.x * blockDim.x;
    unsigned scalar_from = 0;
    if ((((unsigned long long)x | (unsigned long long)y) & 15) == 0) {
        unsigned n4 = n / 4;
        const float4 *x4 = (const float4 *)x;
        float4 *y4 = (float4 *)y;
        for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
            float4 xv = x4[i], yv = y4[i];
            y4[i] = make_float4(a * xv.x + yv.x, a * xv.y + yv.y, a * xv.z + yv.z, a * xv.w + yv.w);
        }
        scalar_from = 4 * n4;
    }
    for (unsigned long long i = scalar_from + (unsigned long long)(blockIdx.x * blockDim.x + threadIdx.x);
         i < n; i += stride)
        y[i] = a * x[i] + y[i];
}
