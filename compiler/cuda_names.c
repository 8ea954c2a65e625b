/* cuda_names.c: the Claw spelling of CUDA names (docs/porting-cuda.md).
 *
 * The lexer (reserved `__` names) and sema (unknown names, types, functions)
 * call cuda_note_spelling() right after their error, so that `threadIdx.x`
 * or `float` in a kernel ported from CUDA is followed by a note naming what
 * Claw calls it. The table is the "Equivalents at a glance" list of
 * docs/porting-cuda.md; keep the two in step. */
#include "cuda_names.h"

#include <string.h>

static const struct {
    const char *cuda;
    const char *note; /* completes "CUDA's 'X' ..." */
} spellings[] = {
    /* builtin variables */
    {"threadIdx", "is 'thread_id' in Claw (components .x .y .z, each a u32)"},
    {"blockIdx", "is 'block_id' in Claw (components .x .y .z, each a u32)"},
    {"blockDim", "is 'block_dim' in Claw (components .x .y .z, each a u32)"},
    {"gridDim", "is 'grid_dim' in Claw (components .x .y .z, each a u32)"},
    {"warpSize", "is 'subgroup_size()' in Claw (a u32; 32, 64 or 8 depending on the device)"},
    /* synchronisation, atomics, warp functions */
    {"__syncthreads", "is 'barrier()' in Claw"},
    {"atomicAdd", "is 'atomic_add' in Claw, which takes the place itself: atomic_add(p[i], v)"},
    {"atomicSub", "is 'atomic_sub' in Claw, which takes the place itself: atomic_sub(p[i], v)"},
    {"atomicMin", "is 'atomic_min' in Claw, which takes the place itself: atomic_min(p[i], v)"},
    {"atomicMax", "is 'atomic_max' in Claw, which takes the place itself: atomic_max(p[i], v)"},
    {"atomicAnd", "is 'atomic_and' in Claw, which takes the place itself: atomic_and(p[i], v)"},
    {"atomicOr", "is 'atomic_or' in Claw, which takes the place itself: atomic_or(p[i], v)"},
    {"atomicXor", "is 'atomic_xor' in Claw, which takes the place itself: atomic_xor(p[i], v)"},
    {"atomicExch",
     "is 'atomic_exchange' in Claw, which takes the place itself: atomic_exchange(p[i], v)"},
    {"atomicCAS", "is 'atomic_cas' in Claw, which takes the place itself: atomic_cas(p[i], "
                  "expected, desired)"},
    {"__shfl_xor_sync", "is 'shuffle_xor(x, mask)' in Claw (no member mask: the whole "
                        "subgroup takes part)"},
    {"__shfl_sync", "is 'shuffle(x, lane)' in Claw (no member mask: the whole subgroup "
                    "takes part)"},
    {"__shfl_down_sync", "is 'shuffle_down(x, d)' in Claw (no member mask: the whole subgroup "
                         "takes part)"},
    {"__shfl_up_sync", "is 'shuffle_up(x, d)' in Claw (no member mask: the whole subgroup "
                       "takes part)"},
    {"__any_sync", "is 'subgroup_any(b)' in Claw, on a bool (no member mask)"},
    {"__all_sync", "is 'subgroup_all(b)' in Claw, on a bool (no member mask)"},
    {"__syncwarp", "has no Claw spelling: subgroup functions already run on the whole "
                   "subgroup together"},
    /* declarations and qualifiers */
    {"__global__", "is written 'kernel name(params) { ... }' in Claw, without a return type"},
    {"__device__", "is written 'fn name(params) -> T { ... }' in Claw"},
    {"__shared__", "is written 'shared name: [T; N];' in Claw"},
    {"__restrict__", "is not needed in Claw: the pointer parameters of a kernel never alias"},
    /* values */
    {"NULL", "is 'null' in Claw, a pointer literal that takes the pointer type its context needs"},
    {"nullptr", "is 'null' in Claw, a pointer literal that takes the pointer type its context needs"},
    /* types */
    {"float", "is 'f32' in Claw"},
    {"double", "is 'f64' in Claw"},
    {"half", "is 'f16' in Claw"},
    {"__half", "is 'f16' in Claw"},
    {"__nv_bfloat16", "is 'bf16' in Claw"},
    {"nv_bfloat16", "is 'bf16' in Claw"},
    {"__bf16", "is 'bf16' in Claw"},
    {"int", "is 'i32' in Claw"},
    {"unsigned", "is 'u32' in Claw"},
    {"uint", "is 'u32' in Claw"},
    {"short", "is 'i16' in Claw"},
    {"long", "is 'i64' in Claw"},
    {"char", "is 'i8' in Claw"},
    {"size_t", "is 'u64' in Claw"},
    {"int8_t", "is 'i8' in Claw"},
    {"int16_t", "is 'i16' in Claw"},
    {"int32_t", "is 'i32' in Claw"},
    {"int64_t", "is 'i64' in Claw"},
    {"uint8_t", "is 'u8' in Claw"},
    {"uint16_t", "is 'u16' in Claw"},
    {"uint32_t", "is 'u32' in Claw"},
    {"uint64_t", "is 'u64' in Claw"},
    /* CUDA's vector types and their make_ functions (docs/language.md §11) */
    {"float2", "is 'vec2<f32>' in Claw"},
    {"float3", "is 'vec3<f32>' in Claw"},
    {"float4", "is 'vec4<f32>' in Claw"},
    {"double2", "is 'vec2<f64>' in Claw"},
    {"double4", "is 'vec4<f64>' in Claw (32 bytes, aligned to 32)"},
    {"half2", "is 'vec2<f16>' in Claw"},
    {"int2", "is 'vec2<i32>' in Claw"},
    {"int4", "is 'vec4<i32>' in Claw"},
    {"uint2", "is 'vec2<u32>' in Claw"},
    {"uint4", "is 'vec4<u32>' in Claw"},
    {"make_float2", "is 'vec2<f32>(x, y)' in Claw"},
    {"make_float4", "is 'vec4<f32>(x, y, z, w)' in Claw"},
    {"make_int4", "is 'vec4<i32>(x, y, z, w)' in Claw"},
    /* math functions with C's f suffix */
    {"sqrtf", "is 'sqrt' in Claw (one name for every float type)"},
    {"rsqrtf", "is 'rsqrt' in Claw (one name for every float type)"},
    {"expf", "is 'exp' in Claw (one name for every float type)"},
    {"__expf", "is 'exp' in Claw (one name for every float type)"},
    {"exp2f", "is 'exp2' in Claw (one name for every float type)"},
    {"logf", "is 'log' in Claw (one name for every float type)"},
    {"__logf", "is 'log' in Claw (one name for every float type)"},
    {"log2f", "is 'log2' in Claw (one name for every float type)"},
    {"sinf", "is 'sin' in Claw (one name for every float type)"},
    {"__sinf", "is 'sin' in Claw (one name for every float type)"},
    {"cosf", "is 'cos' in Claw (one name for every float type)"},
    {"__cosf", "is 'cos' in Claw (one name for every float type)"},
    {"tanf", "is 'tan' in Claw (one name for every float type)"},
    {"tanhf", "is 'tanh' in Claw (one name for every float type)"},
    {"powf", "is 'pow' in Claw (one name for every float type)"},
    {"__powf", "is 'pow' in Claw (one name for every float type)"},
    {"floorf", "is 'floor' in Claw (one name for every float type)"},
    {"ceilf", "is 'ceil' in Claw (one name for every float type)"},
    {"roundf", "is 'round' in Claw (one name for every float type)"},
    {"truncf", "is 'trunc' in Claw (one name for every float type)"},
    {"fmaf", "is 'fma' in Claw (one name for every float type)"},
    {"__fmaf_rn", "is 'fma' in Claw (one name for every float type)"},
    {"fabsf", "is 'abs' in Claw (one name for every numeric type)"},
    {"fabs", "is 'abs' in Claw (one name for every numeric type)"},
    {"fminf", "is 'min' in Claw (one name for every numeric type)"},
    {"fmin", "is 'min' in Claw (one name for every numeric type)"},
    {"fmaxf", "is 'max' in Claw (one name for every numeric type)"},
    {"fmax", "is 'max' in Claw (one name for every numeric type)"},
    {"fdividef", "is '/' in Claw"},
    {"__fdividef", "is '/' in Claw"},
};

bool
cuda_note_spelling(SrcLoc loc, const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        if (strlen(spellings[i].cuda) == len && memcmp(spellings[i].cuda, name, len) == 0) {
            diag_note(loc, "CUDA's '%s' %s", spellings[i].cuda, spellings[i].note);
            return true;
        }
    }
    return false;
}

bool
cuda_reserved_reported(const char *name)
{
    return name[0] == '_' && name[1] == '_';
}
