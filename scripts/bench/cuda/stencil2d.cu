// stencil2d.cu: CUDA twin of samples/stencil2d/stencil2d.claw for
// scripts/bench/compare.py: a 16 x 16 block stages its 18 x 18 clamped halo
// in shared memory, then each thread writes one 5-point Jacobi result.
#define TILE 16
#define HALO_W 18
#define HALO_N (HALO_W * HALO_W)

struct Weights {
    float center;
    float neighbor;
};

__global__ void __launch_bounds__(TILE * TILE)
stencil2d(unsigned width, unsigned height, Weights w, const float *__restrict__ src,
          float *__restrict__ dst)
{
    __shared__ float tile[HALO_N];
    int tid = threadIdx.y * TILE + threadIdx.x;
    int x0 = (int)blockIdx.x * TILE - 1, y0 = (int)blockIdx.y * TILE - 1;
    int max_x = (int)width - 1, max_y = (int)height - 1;
    for (int e = tid; e < HALO_N; e += TILE * TILE) {
        int gx = min(max(x0 + e % HALO_W, 0), max_x);
        int gy = min(max(y0 + e / HALO_W, 0), max_y);
        tile[e] = src[gy * (int)width + gx];
    }
    __syncthreads();
    unsigned x = blockIdx.x * TILE + threadIdx.x, y = blockIdx.y * TILE + threadIdx.y;
    if (x < width && y < height) {
        int t = (threadIdx.y + 1) * HALO_W + threadIdx.x + 1;
        float around = tile[t - 1] + tile[t + 1] + tile[t - HALO_W] + tile[t + HALO_W];
        dst[y * width + x] = w.center * tile[t] + w.neighbor * around;
    }
}
