// saxpy.cu: CUDA twin of samples/saxpy/saxpy.claw for scripts/bench/compare.py:
// grid-stride loop, 256 threads per block (__launch_bounds__ as @workgroup).
__global__ void __launch_bounds__(256)
saxpy(unsigned n, float a, const float *__restrict__ x, float *__restrict__ y)
{
    unsigned stride = gridDim.x * blockDim.x;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = a * x[i] + y[i];
}
