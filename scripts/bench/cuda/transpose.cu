// transpose.cu: CUDA twin of samples/transpose/transpose.claw for
// scripts/bench/compare.py: 32 x 33 padded shared tile, 32 x 8 threads.
#define TILE 32
#define PITCH 33
#define ROWS 8

__global__ void __launch_bounds__(TILE * ROWS)
transpose(unsigned rows, unsigned cols, const float *__restrict__ src, float *__restrict__ dst)
{
    __shared__ float tile[TILE * PITCH];
    unsigned tx = threadIdx.x, ty = threadIdx.y;
    unsigned src_col0 = blockIdx.x * TILE, src_row0 = blockIdx.y * TILE;
    for (unsigned j = 0; j < TILE; j += ROWS) {
        unsigned r = src_row0 + ty + j, col = src_col0 + tx;
        if (r < rows && col < cols)
            tile[(ty + j) * PITCH + tx] = src[r * cols + col];
    }
    __syncthreads();
    for (unsigned j = 0; j < TILE; j += ROWS) {
        unsigned r = src_col0 + ty + j, col = src_row0 + tx;
        if (r < cols && col < rows)
            dst[r * rows + col] = tile[tx * PITCH + ty + j];
    }
}
