// vecadd.cu: CUDA twin of samples/vecadd/vecadd.claw for scripts/bench/compare.py:
// thread i < n / 4 adds elements 4i..4i+3 with float4 loads and a float4 store
// when the pointers are 16-byte aligned, else one at a time; threads
// 0..n % 4 - 1 then add one tail element each.
__global__ void
vecadd(unsigned n, const float *__restrict__ a, const float *__restrict__ b, float *__restrict__ c)
{
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    unsigned n4 = n / 4;
    if (i < n4) {
        if ((((unsigned long long)a | (unsigned long long)b | (unsigned long long)c) & 15) == 0) {
            float4 av = ((const float4 *)a)[i], bv = ((const float4 *)b)[i];
            ((float4 *)c)[i] = make_float4(av.x + bv.x, av.y + bv.y, av.z + bv.z, av.w + bv.w);
        } else {
#pragma unroll
            for (unsigned t = 0; t < 4; t++)
                c[4 * i + t] = a[4 * i + t] + b[4 * i + t];
        }
    }
    if (i < n % 4) {
        unsigned k = 4 * n4 + i;
        c[k] = a[k] + b[k];
    }
}
