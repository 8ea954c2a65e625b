// vecadd.cu: CUDA twin of samples/vecadd/vecadd.claw for scripts/bench/compare.py.
__global__ void
vecadd(unsigned n, const float *__restrict__ a, const float *__restrict__ b, float *__restrict__ c)
{
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        c[i] = a[i] + b[i];
}
