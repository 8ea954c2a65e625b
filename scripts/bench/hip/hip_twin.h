// hip_twin.h: the CUDA builtins the twins in scripts/bench/cuda use, spelled
// for clang's HIP mode without the ROCm headers or device libraries
// (clang-19 -x hip --cuda-device-only -nogpulib -nogpuinc -include this), so
// that scripts/bench/compare_amdgpu.py can compile each CUDA twin as a HIP
// twin with Debian's clang alone. Each definition is what ROCm's HIP headers
// and device libraries (ockl/ocml) do for the same builtin, with code object
// v5 (clang-19's default):
//   - blockDim and gridDim come from the hidden kernel arguments that the
//     dispatch fills in (block_count_x/y/z at offset 0, group_size_x/y/z as
//     u16 at offset 12), read once, never divided;
//   - __syncthreads is a workgroup release fence, s_barrier, acquire fence;
//   - __shfl_xor_sync is ds_bpermute on lane ^ mask within the 32-lane width
//     the twins use (CUDA's warp), as HIP's __shfl_xor(v, m, 32);
//   - atomicAdd is a relaxed device-scope fetch-add;
//   - expf, fmaxf and sqrtf are clang builtins (LLVM's AMDGPU lowering of
//     llvm.exp.f32 is ocml's accurate expf on v_exp_f32); rsqrtf is
//     v_rsq_f32 as ocml's __ocml_rsqrt_f32 is without denormal support.
#pragma once
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(n) __attribute__((amdgpu_flat_work_group_size(1, n)))

struct hip_twin_dim3 {
    unsigned x, y, z;
};

static __device__ __forceinline__ const unsigned *
hip_twin_hidden(void)
{
    return (const unsigned *)__builtin_amdgcn_implicitarg_ptr();
}

#define threadIdx (hip_twin_dim3{__builtin_amdgcn_workitem_id_x(), __builtin_amdgcn_workitem_id_y(), __builtin_amdgcn_workitem_id_z()})
#define blockIdx (hip_twin_dim3{__builtin_amdgcn_workgroup_id_x(), __builtin_amdgcn_workgroup_id_y(), __builtin_amdgcn_workgroup_id_z()})
#define gridDim (hip_twin_dim3{hip_twin_hidden()[0], hip_twin_hidden()[1], hip_twin_hidden()[2]})
#define blockDim (hip_twin_dim3{(unsigned)((const unsigned short *)hip_twin_hidden())[6], \
                                (unsigned)((const unsigned short *)hip_twin_hidden())[7], \
                                (unsigned)((const unsigned short *)hip_twin_hidden())[8]})

static __device__ __forceinline__ void
__syncthreads(void)
{
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
    __builtin_amdgcn_s_barrier();
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
}

static __device__ __forceinline__ unsigned
hip_twin_lane(void)
{
    return __builtin_amdgcn_mbcnt_hi(~0u, __builtin_amdgcn_mbcnt_lo(~0u, 0u));
}

static __device__ __forceinline__ float
__shfl_xor_sync(unsigned mask, float v, int lane_mask)
{
    (void)mask;
    unsigned self = hip_twin_lane();
    unsigned src = self ^ (unsigned)lane_mask;
    if (src >= ((self + 32u) & ~31u))
        src = self;
    return __builtin_bit_cast(float, __builtin_amdgcn_ds_bpermute((int)(src << 2), __builtin_bit_cast(int, v)));
}

template <typename T>
static __device__ __forceinline__ T
atomicAdd(T *p, T v)
{
    return __hip_atomic_fetch_add(p, v, __ATOMIC_RELAXED, __HIP_MEMORY_SCOPE_AGENT);
}

#define expf(x) __builtin_expf(x)
#define fmaxf(a, b) __builtin_fmaxf(a, b)
#define sqrtf(x) __builtin_sqrtf(x)
#define rsqrtf(x) __builtin_amdgcn_rsqf(x)

static __device__ __forceinline__ int
min(int a, int b)
{
    return a < b ? a : b;
}

static __device__ __forceinline__ int
max(int a, int b)
{
    return a > b ? a : b;
}

// float4 as HIP's: four floats aligned to 16, so that loads and stores of
// one are global_load_dwordx4 / global_store_dwordx4, as CUDA's are 128-bit.
struct __attribute__((aligned(16))) float4 {
    float x, y, z, w;
};

static __device__ __forceinline__ float4
make_float4(float x, float y, float z, float w)
{
    return float4{x, y, z, w};
}

#define fmaf(a, b, c) __builtin_fmaf(a, b, c)
