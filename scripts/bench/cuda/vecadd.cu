// vecadd.cu: CUDA twin of samples/vecadd/vecadd.claw for scripts/bench/compare.py:
// each thread adds four elements with float4 loads and a float4 store when the
// pointers are 16-byte aligned and the four exist, else one at a time.
__global__ void
vecadd(unsigned n, const float *__restrict__ a, const float *__restrict__ b, float *__restrict__ c)
{
    unsigned long long i = blockIdx.x * blockDim.x + threadIdx.x;
    bool aligned = (((unsigned long long)a | (unsigned long long)b | (unsigned long long)c) & 15) == 0;
    if (aligned && 4 * i + 3 < n) {
        float4 av = ((const float4 *)a)[i], bv = ((const float4 *)b)[i];
        ((float4 *)c)[i] = make_float4(av.x + bv.x, av.y + bv.y, av.z + bv.z, av.w + bv.w);
    } else if (4 * i < n) {
        for (unsigned long long k = 4 * i; k < 4 * i + 4 && k < n; k++)
            c[k] = a[k] + b[k];
    }
}
