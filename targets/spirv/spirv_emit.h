/* spirv_emit.h: internal interface of the SPIR-V backend (targets/spirv).
 *
 * The backend writes SPIR-V words straight from the verified IR:
 *   spirv.c       the target table, the module writer (one word buffer per
 *                 logical-layout section, SPIR-V 2.4), interned types and
 *                 constants, global variables, entry points;
 *   spirv_func.c  function bodies: instructions and structured control flow;
 *   spirv_tools.c SPIRV-Tools validation and disassembly (C API);
 *   spirv_opt.cpp the optimiser shim (SPIRV-Tools 2023.1 has no C API for it).
 *
 * Value representation (see docs/spirv.md):
 *   - integers are OpTypeInt with signedness 0; signedness lives in opcodes;
 *   - a `bool` SSA value is OpTypeBool, but bool in memory (and in any
 *     aggregate, which always uses the memory form) is a u8 0/1;
 *   - global pointers are PhysicalStorageBuffer pointers (ArrayStride = the
 *     pointee's C size); private slots are Function variables, shared
 *     variables Workgroup variables;
 *   - aggregates carry their C layout (ArrayStride, Offset) in values and
 *     global memory; Function and Workgroup variables hold undecorated
 *     twins (spv_local_type), converted with OpCopyLogical on load and
 *     store. */
#ifndef CLAW_SPIRV_EMIT_H
#define CLAW_SPIRV_EMIT_H

#include "../target.h"

#include <spirv/unified1/GLSL.std.450.h>
#include <spirv/unified1/spirv.h>

#include "spv_khr_coopmat.h"

/* The OpModuleProcessed string that marks a module whose kernels all end
 * their push constants with the status-word address (docs/spirv.md); the
 * runtime looks for it (runtime/vulkan.c). */
#define SPV_STATUS_MARKER "clawc:status-word"

/* A growable array of SPIR-V words (malloc'd). */
typedef struct SpvWords {
    uint32_t *w;
    size_t len, cap;
} SpvWords;

void spv_words_push(SpvWords *s, uint32_t w);
void spv_words_append(SpvWords *s, const SpvWords *t);
void spv_words_free(SpvWords *s);
/* Appends one instruction: opcode with word count, then n operand words. */
void spv_inst(SpvWords *s, SpvOp op, const uint32_t *ops, int n);
/* Appends an instruction whose last operand is a literal string (SPIR-V 2.2.1). */
void spv_inst_str(SpvWords *s, SpvOp op, const uint32_t *ops, int n, const char *str);

#define SPV_NARGS(...) ((int)(sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)))
/* SPV_INST(words, SpvOpX, operand words...) */
#define SPV_INST(s, op, ...) spv_inst((s), (op), (const uint32_t[]){__VA_ARGS__}, SPV_NARGS(__VA_ARGS__))

/* The module's sections in logical-layout order (SPIR-V 2.4). */
typedef enum SpvSection {
    SEC_CAPABILITY,
    SEC_EXTENSION,
    SEC_EXT_IMPORT,
    SEC_MEMORY_MODEL,
    SEC_ENTRY_POINT,
    SEC_EXEC_MODE,
    SEC_DEBUG_SOURCE, /* 7a: OpString, OpSource */
    SEC_DEBUG,        /* 7b: OpName, OpMemberName */
    SEC_DEBUG_PROCESSED, /* 7c: OpModuleProcessed */
    SEC_ANNOTATION,
    SEC_GLOBAL,     /* types, constants, global variables, OpUndef */
    SEC_FUNCTION,
    SEC_COUNT
} SpvSection;

/* Builtin input variables a function may read. */
typedef enum SpvBuiltinVar {
    BV_LOCAL_ID,
    BV_WORKGROUP_ID,
    BV_NUM_WORKGROUPS,
    BV_GLOBAL_ID,
    BV_LANE_ID,
    BV_SUBGROUP_SIZE,
    BV_SUBGROUP_ID,
    BV_COUNT
} SpvBuiltinVar;

/* What one function touches directly; entry point interfaces take the
 * closure over calls (SPIR-V 1.4+: every global variable an entry point
 * references is in its interface). */
typedef struct SpvFuncUse {
    uint32_t builtins;     /* bit per SpvBuiltinVar: read through the module's variables */
    /* kernels that reach no other function reading a builtin: they read
     * every builtin through variables of their own (own_var, bits in
     * own_builtins), so no Input variable is shared by several entry points
     * (spv_builtin_var_in says why) */
    bool own_builtin_vars;
    uint32_t own_builtins;
    uint32_t own_var[BV_COUNT];
    bool *shared;          /* per IrModule.shared index */
    bool *calls;           /* per IrModule.funcs index */
    uint32_t push_var;     /* kernels: the push-constant variable (every kernel has one) */
    uint32_t push_block;   /* kernels: its Block struct type */
    bool indirect_args;    /* kernels: push constant holds the address of the arguments */
    uint32_t args_struct;  /* indirect kernels: the argument struct in memory */
    bool status;           /* touches the Private status-word pointer (loop checks) */
} SpvFuncUse;

/* The push-constant layout shared with the runtime (docs/spirv.md "Kernel
 * parameters" and "Launch block"): parameters up to SPV_PUSH_ARGS_LIMIT
 * bytes are pushed directly, followed by the status-word address at their
 * size rounded up to 8 (104 + 8 = 112); larger ones go through a buffer
 * address at 0 with the status-word address at 8; the runtime's launch block (uvec4: block_base_x, grid_x, grid_y, grid_z) sits
 * at SPV_PUSH_LAUNCH_OFFSET of every kernel's push-constant block, so a
 * grid larger than the device's dispatch limit can be split. */
enum { SPV_PUSH_ARGS_LIMIT = 104, SPV_PUSH_LAUNCH_OFFSET = 112 };

/* Private variables every kernel fills from the launch block in its
 * prologue; block_id.x, global_id.x and grid_dim read them anywhere. */
typedef struct SpvLaunchVars {
    uint32_t block_x;  /* u32: WorkgroupId.x + block_base_x */
    uint32_t global_x; /* u32: GlobalInvocationId.x + block_base_x * block_dim.x */
    uint32_t grid;     /* v3uint: the whole launch's grid */
} SpvLaunchVars;

/* How matrix tiles are written (docs/spirv.md "Cooperative matrices"):
 * not at all (ir_lower_matrix made them fragments), as
 * SPV_KHR_cooperative_matrix (the vulkan1.3-coopmat image), or as their
 * SPV_NV_cooperative_matrix counterparts, one for one, only so that the
 * installed spirv-val can check the rest of the module. */
typedef enum SpvCoopmat { SPV_COOPMAT_OFF, SPV_COOPMAT_KHR, SPV_COOPMAT_NV } SpvCoopmat;

/* The arch of the cooperative-matrix image (fat-binary arch and --target). */
#define SPV_COOPMAT_ARCH SPIRV_COOPMAT_ARCH

typedef struct SpvDedupEntry SpvDedupEntry;
typedef struct SpvPtrEntry SpvPtrEntry;

typedef struct Spv {
    IrModule *m;
    uint32_t version;          /* SPIR-V version word: 1.5 or 1.6 */
    bool vulkan13;
    bool fp_contract;          /* false: NoContraction on float mul/add/sub */
    SpvCoopmat coopmat;        /* matrix tiles as cooperative matrices */
    bool vulkan_mm;            /* Vulkan memory model (cooperative matrices need it) */
    SpvWords sec[SEC_COUNT];
    uint32_t next_id;
    /* types and constants, interned by their instruction words */
    SpvDedupEntry *dedup;
    size_t dedup_len, dedup_cap;
    /* IrType -> id, for memory and value forms */
    SpvPtrEntry *tmap;
    size_t tmap_len, tmap_cap;
    uint32_t caps[48];         /* declared capabilities, kept sorted */
    int ncaps;
    bool ext_atomic_float;     /* SPV_EXT_shader_atomic_float_add */
    bool forward_ptr;          /* an OpTypeForwardPointer was needed (recursive struct) */
    uint32_t glsl;             /* OpExtInstImport "GLSL.std.450", 0 until used */
    uint32_t builtin_var[BV_COUNT];
    uint32_t spec_wg[3];       /* SpecId 0..2: the launch's block size */
    uint32_t spec_loop_check;  /* SpecId 3: check loops for a driver cut, 0 until used */
    uint32_t spec_sg;          /* SpecId 4: the device's subgroup size (matrix fallback), 0 until used */
    uint32_t status_var;       /* Private pointer to the launch's status word, 0 until used */
    uint32_t *func_ids;        /* per IrModule.funcs index */
    uint32_t *shared_ids;      /* per IrModule.shared index, 0 until used */
    SpvFuncUse *use;           /* per IrModule.funcs index */
    uint32_t file_str;         /* OpString of IrModule.source_name, 0 without one */
    SpvLaunchVars launch;      /* 0 until a kernel is emitted */
} Spv;

/* spirv.c: ids, capabilities, types, constants, globals */
uint32_t spv_id(Spv *s);
void spv_cap(Spv *s, SpvCapability cap);
void spv_name(Spv *s, uint32_t id, const char *name);
void spv_decorate(Spv *s, uint32_t id, SpvDecoration d, const uint32_t *lits, int n);
uint32_t spv_type_void(Spv *s);
uint32_t spv_type_bool(Spv *s);
uint32_t spv_type_int(Spv *s, uint32_t bits);
uint32_t spv_type_float(Spv *s, uint32_t bits);
uint32_t spv_type_vec(Spv *s, uint32_t elem, uint32_t n);
uint32_t spv_type_ptr(Spv *s, SpvStorageClass sc, uint32_t pointee, uint64_t stride);
uint32_t spv_type_fn(Spv *s, uint32_t ret, const uint32_t *params, int n);
uint32_t spv_mem_type(Spv *s, IrType *t);     /* bool -> u8, aggregates laid out */
uint32_t spv_val_type(Spv *s, IrType *t);     /* bool -> OpTypeBool */
/* The form of t in Function and Workgroup storage: spv_mem_type without
 * ArrayStride and Offset (a twin type where t has them). */
uint32_t spv_local_type(Spv *s, IrType *t);
uint32_t spv_ptr_type(Spv *s, IrType *ptr);   /* an IR pointer type */
SpvStorageClass spv_storage(IrSpace space);
uint32_t spv_const_int(Spv *s, uint32_t bits, uint64_t v);
uint32_t spv_const_u32(Spv *s, uint32_t v);
uint32_t spv_const_float(Spv *s, uint32_t bits, double v);
uint32_t spv_const_bool(Spv *s, bool v);
uint32_t spv_const_null(Spv *s, uint32_t type);
uint32_t spv_undef(Spv *s, uint32_t type);
uint32_t spv_glsl(Spv *s);
uint32_t spv_builtin_var(Spv *s, SpvBuiltinVar b);
/* The Input variable of builtin b that a function with uses u reads, and
 * records the read in u (builtins or own_builtins). */
uint32_t spv_builtin_var_in(Spv *s, SpvFuncUse *u, SpvBuiltinVar b);
uint32_t spv_shared_var(Spv *s, IrShared *sh);
uint32_t spv_spec_block_dim(Spv *s, int dim);
/* SpecId 4, u32 (default 32): the device's subgroup size, for IR_MAT_SG_SIZE. */
uint32_t spv_spec_subgroup_size(Spv *s);
/* The loop-limit check (docs/spirv.md "Driver loop limits"): the boolean
 * SpecId 3 that enables it, the Private variable holding the status-word
 * pointer, and that pointer's type. */
uint32_t spv_spec_loop_check(Spv *s);
uint32_t spv_status_var(Spv *s);
uint32_t spv_status_ptr_type(Spv *s);
const SpvLaunchVars *spv_launch_vars(Spv *s);
bool spv_type_has_width(const IrType *t, uint32_t bits); /* scalar of that width inside (bool is 8) */

/* The cooperative-matrix type of IRT_MATRIX t (s->coopmat not OFF). */
uint32_t spv_coopmat_type(Spv *s, IrType *t);
/* Device scope for an atomic: declares VulkanMemoryModelDeviceScope under
 * the Vulkan memory model. */
uint32_t spv_scope_device(Spv *s);

/* spirv_func.c */
void spv_emit_function(Spv *s, IrFunc *f);

/* spirv_tools.c: 0 on success, else a malloc'd message in *err */
int spv_validate(const uint32_t *words, size_t n, bool vulkan13, char **err);
int spv_disassemble(const uint32_t *words, size_t n, bool vulkan13, Buf *out, char **err);
/* The same with friendly names or with raw ids (%12), for spirv_coopmat.c. */
int spv_disassemble_names(const uint32_t *words, size_t n, bool vulkan13, bool friendly, Buf *out,
                          char **err);

/* spirv_coopmat.c: the grammar check of every SPV_KHR_cooperative_matrix
 * instruction of a module (operand counts and the types of their operands;
 * Debian's SPIRV-Tools predates the extension), and its disassembly (the
 * KHR instructions printed by hand between SPIRV-Tools' lines). 0 on
 * success, else a malloc'd message in *err. */
int spv_coopmat_check(const uint32_t *words, size_t n, char **err);
int spv_coopmat_disassemble(const uint32_t *words, size_t n, Buf *out, char **err);

/* spirv_opt.cpp: runs SPIRV-Tools' performance passes; 0 on success, else a
 * malloc'd message in *err. *out is malloc'd. */
#ifdef __cplusplus
extern "C" {
#endif
int spv_optimize(const uint32_t *words, size_t n, bool vulkan13, uint32_t **out, size_t *out_n,
                 char **err);
#ifdef __cplusplus
}
#endif

#endif
