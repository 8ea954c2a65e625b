/* ir.h: the Claw IR, shared by the frontend (producer) and every target (consumers).
 *
 * A structured IR in the tradition of naga and MLIR's scf dialect:
 *   - an IrModule holds interned types, shared variables and functions;
 *   - a function body is a region: an ordered list of instructions, some of
 *     which (IF, LOOP) own nested regions; there is no goto;
 *   - instructions that produce a value are SSA values (IrInst *) with a type;
 *     mutable variables are LOCAL slots read with LOAD and written with STORE;
 *   - every instruction carries the SrcLoc it came from.
 *
 * Dominance rule (checked by the verifier): an instruction may use a value
 * defined earlier in its own region or in an enclosing region (before the
 * instruction owning the nested region), the function's PARAMs, its LOCALs,
 * and SHARED addresses. A LOOP's cont_r may use values of its body_r only
 * through LOCAL slots; break_if is a value defined in cont_r.
 *
 * Sections: arena.c (memory), buf (byte buffers), type.c (interned types),
 * ir.c (module, builder), print.c (--emit=claw-ir), verify.c, pass.c, polyfill.c,
 * mathlib.c (the polyfill's math library), bounds.c. */
#ifndef CLAW_IR_H
#define CLAW_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A position in a source file. file indexes the diagnostics file table
 * (0 = no location). Travels from token to AST to IR to PTX .loc / OpLine. */
typedef struct SrcLoc {
    uint32_t file, line, col;
} SrcLoc;

/* ---- arena.c ---------------------------------------------------------- */

/* Bump allocator; everything of one compilation dies with one arena_free. */
typedef struct Arena Arena;
Arena *arena_new(void);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t size);            /* zeroed, 16-byte aligned; aborts on OOM */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Growable array of pointers, allocated in an arena. */
typedef struct PtrVec {
    void **data;
    int len, cap;
} PtrVec;
void ptrvec_push(Arena *a, PtrVec *v, void *p);

/* Growable heap byte buffer (malloc'd; buf_free releases). Used for emitted
 * files: PTX text, code objects, SPIR-V words, fat binaries. */
typedef struct Buf {
    unsigned char *data;
    size_t len, cap;
} Buf;
void buf_append(Buf *b, const void *p, size_t n);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
void buf_u32(Buf *b, uint32_t w);                     /* little-endian word */
void buf_free(Buf *b);
/* Reads a whole file into malloc'd memory, NUL-terminated (the lexer and
 * libclang want C strings); *len excludes the NUL. NULL when the file
 * cannot be opened or read; errno then usually says why. */
char *buf_read_file(const char *path, size_t *len);

/* Internal compiler error: prints file:line and the message, then aborts.
 * Only for broken invariants, never for user input. */
_Noreturn void ir_ice(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define ICE(...) ir_ice(__FILE__, __LINE__, __VA_ARGS__)
#define UNREACHABLE() ir_ice(__FILE__, __LINE__, "unreachable")

/* ---- type.c: interned types ------------------------------------------ */

typedef enum IrTypeKind {
    IRT_VOID,
    IRT_BOOL,
    IRT_INT,    /* bits 8/16/32/64, is_signed */
    IRT_FLOAT,  /* bits 16/32/64; is_bf16 with 16: bfloat16 */
    IRT_PTR,    /* elem, space, is_const */
    IRT_ARRAY,  /* elem, count */
    IRT_STRUCT, /* name, fields; nominal: one IrType per declaration */
    IRT_MATRIX, /* mat_role, elem, rows, cols: a tile held by a subgroup (LANGUAGE.md §14,
                   docs/matrix.md); never in memory; ir_lower_matrix replaces it */
    IRT_VEC,    /* elem (bool, int or float), count 2..4 (docs/language.md §11) */
} IrTypeKind;

/* Which operand of matrix_mma a matrix type is. */
typedef enum IrMatRole { IR_MAT_A, IR_MAT_B, IR_MAT_ACC } IrMatRole;

typedef enum IrSpace {
    IR_SPACE_GLOBAL,  /* the only space the language can name: *T, *const T (64-bit) */
    IR_SPACE_SHARED,  /* shared variables (Workgroup / addrspace 3) */
    IR_SPACE_PRIVATE, /* LOCAL slots (Function / alloca) */
} IrSpace;

typedef struct IrType IrType;

typedef struct IrField {
    const char *name;
    IrType *type;
    uint64_t offset;        /* bytes from the start of the struct */
    const char *unmappable; /* C import only: why the field's C type has no Claw
                               equivalent (then type is NULL); NULL otherwise */
} IrField;

struct IrType {
    IrTypeKind kind;
    uint32_t bits;       /* INT, FLOAT: width; BOOL: 1 (stored as one byte) */
    bool is_signed;      /* INT */
    bool is_bf16;        /* FLOAT of 16 bits: bfloat16 (8-bit exponent), not binary16 */
    bool is_const;       /* PTR: *const T */
    IrSpace space;       /* PTR */
    IrType *elem;        /* PTR: pointee; ARRAY, VEC: element */
    uint64_t count;      /* ARRAY: number of elements (> 0); VEC: components (2..4) */
    uint64_t size;       /* bytes, C layout (bool 1, ptr 8, padded structs) */
    uint64_t align;      /* bytes */
    const char *name;    /* STRUCT: declared name */
    int nfields;         /* STRUCT */
    IrField *fields;     /* STRUCT: in declaration order */
    bool complete;       /* STRUCT: fields set (cycles are rejected by sema) */
    const char *unmappable; /* STRUCT from C import: why it cannot be used (NULL if usable) */
    bool c_tagged;       /* STRUCT from C import: named by its tag, spelled `struct Name` in C */
    SrcLoc loc;          /* STRUCT: where declared */
    IrMatRole mat_role;  /* MATRIX: A (M x K), B (K x N) or ACC (M x N) */
    uint32_t rows, cols; /* MATRIX: 16 x 16 */
};

typedef struct IrModule IrModule;

IrType *ir_type_void(IrModule *m);
IrType *ir_type_bool(IrModule *m);
IrType *ir_type_int(IrModule *m, uint32_t bits, bool is_signed);
IrType *ir_type_float(IrModule *m, uint32_t bits); /* IEEE binary16/32/64 */
IrType *ir_type_bf16(IrModule *m);
IrType *ir_type_ptr(IrModule *m, IrType *elem, IrSpace space, bool is_const);
IrType *ir_type_array(IrModule *m, IrType *elem, uint64_t count);
/* A matrix tile type; elem is f16 or bf16 (A, B) or
 * f32 (ACC). Size 0: it never sits in memory. */
IrType *ir_type_matrix(IrModule *m, IrMatRole role, IrType *elem, uint32_t rows, uint32_t cols);
/* vecN<elem> (N = 2, 3, 4; elem bool, int or float), in CUDA's layout:
 * vec2/vec4 are N * sizeof(elem) bytes aligned to their size, vec3 is
 * 3 * sizeof(elem) bytes aligned as elem (docs/language.md §11). */
IrType *ir_type_vec(IrModule *m, IrType *elem, uint32_t n);
/* A new, empty struct type; fill with ir_type_struct_set_fields (computes C
 * layout: natural alignment, fields in order, size padded to alignment) or
 * ir_type_struct_set_layout (offsets, size and align given, e.g. by libclang). */
IrType *ir_type_struct(IrModule *m, const char *name, SrcLoc loc);
void ir_type_struct_set_fields(IrModule *m, IrType *st, int n, const char *const *names,
                               IrType *const *types);
void ir_type_struct_set_layout(IrModule *m, IrType *st, int n, const IrField *fields,
                               uint64_t size, uint64_t align);

bool ir_type_is_int(const IrType *t);
bool ir_type_is_float(const IrType *t);
bool ir_type_is_numeric(const IrType *t);      /* int or float */
bool ir_type_is_scalar(const IrType *t);       /* bool, int, float or pointer */
bool ir_type_is_aggregate(const IrType *t);    /* struct or array */
/* Whether t is a matrix or contains one (an array of matrices). */
bool ir_type_has_matrix(const IrType *t);
const char *ir_mat_role_name(IrMatRole r);    /* "mat_a", "mat_b", "mat_acc" */
bool ir_type_is_vec(const IrType *t);
/* The element type of a vector, t itself for anything else. */
IrType *ir_type_scalar_of(IrType *t);
/* Writes the Claw spelling ("u32", "*const f32", "[f32; 4]", "Pair") into an
 * arena string; used in diagnostics and the printer. */
const char *ir_type_name(IrModule *m, const IrType *t);

/* ---- ir.c: module, functions, instructions ---------------------------- */

/* The types an op's result (and, for atomics and subgroup ops, its value
 * operand) may have: the last column of ops.def. */
typedef enum IrTypeClass {
    IRC_NONE,       /* no class: the op's own rule (verify.c) */
    IRC_FLOAT,      /* f16 bf16 f32 f64 */
    IRC_NUMERIC,    /* any int or float */
    IRC_INT,        /* any int */
    IRC_INT_BOOL,   /* any int, or bool */
    IRC_U32,        /* u32 only (builtin values) */
    IRC_ATOMIC,     /* i32 u32 i64 u64 */
    IRC_ATOMIC_F32, /* i32 u32 i64 u64 f32 */
    IRC_SUBGROUP,   /* i32 u32 f32 (reductions and scans) */
    IRC_SHUFFLE,    /* i32 u32 f32 f16 (shuffles and broadcast) */
    IRC_BOOL,       /* bool only (subgroup votes) */
} IrTypeClass;

bool ir_type_in_class(const IrType *t, IrTypeClass c); /* IRC_NONE: always true */
/* How diagnostics name a class: "i32, u32, i64 or u64" (IRC_NONE: "any type"). */
const char *ir_type_class_name(IrTypeClass c);

typedef enum IrOp {
#define X(name, str, nops, flags, tclass) IR_##name,
#include "ops.def"
#undef X
    IR_NUM_OPS
} IrOp;

/* The ops on matrix values, for switches that treat them alike: only
 * ir_lower_matrix and the passes before it see them (targets never do). */
#define IR_MATRIX_OP_CASES                                                                  \
    case IR_MAT_LOAD: case IR_MAT_STORE: case IR_MAT_FILL: case IR_MAT_MMA: case IR_MAT_SCALE: \
    case IR_MAT_ADD: case IR_MAT_SUB

enum { IRF_VALUE = 1, IRF_EFFECT = 2, IRF_REGION = 4, IRF_TERM = 8, IRF_UNIFORM = 16 };

typedef struct IrInst IrInst;
typedef struct IrFunc IrFunc;
typedef struct IrRegion IrRegion;

/* An ordered list of instructions. A terminator (BREAK, CONTINUE, RETURN),
 * if present, is the last instruction. */
struct IrRegion {
    IrInst **insts;
    int len, cap;
};

/* A module-level shared-memory variable (one per `shared` declaration). */
typedef struct IrShared {
    const char *name;  /* unique within the module (lowering appends a suffix) */
    IrType *type;      /* usually an array */
    SrcLoc loc;
    int index;         /* position in IrModule.shared */
} IrShared;

/* Unroll request of a LOOP. */
enum { IR_UNROLL_NONE = 0, IR_UNROLL_FULL = -1 }; /* > 0: unroll by that factor */

struct IrInst {
    IrOp op;
    IrType *type;        /* result type (void for effects without value) */
    SrcLoc loc;
    int nops;
    IrInst **ops;        /* operands */
    uint32_t id;         /* number within the function, for printing and targets' maps */
    union {
        uint64_t i;      /* CONST of int/bool type: value (bits beyond width are zero) */
        double f;        /* CONST of float type (f16/bf16/f32 values are exactly representable) */
        int index;       /* PARAM number; FIELD_PTR/EXTRACT/INSERT index */
        int dim;         /* THREAD_ID..GLOBAL_ID component */
        IrShared *shared;/* SHARED */
        IrFunc *callee;  /* CALL */
    } imm;
    /* IF */
    IrRegion then_r, else_r;
    /* LOOP: body_r runs each iteration; a CONTINUE or the end of body_r goes
     * to cont_r; after cont_r, the loop exits if break_if (a bool defined in
     * cont_r, may be NULL) is true, else repeats body_r. */
    IrRegion body_r, cont_r;
    IrInst *break_if;
    int unroll;          /* IR_UNROLL_NONE, IR_UNROLL_FULL or a factor */
    const char *name;    /* LOCAL: the variable's source name (for printing); may be NULL */
    bool unlikely;       /* IF whose then_r rarely runs (the math library's Payne-Hanek
                            branch): targets lay it out of the fast path; like `exact`
                            not in the text form (ir_module_clone copies both) */
    bool exact;          /* float arithmetic that targets must do as written, never
                            contracted or reassociated (the polyfill's error-free steps;
                            SPIR-V NoContraction); not in the text form, which the
                            polyfill never reaches */
};

typedef struct IrParam {
    const char *name;
    IrType *type;
    SrcLoc loc;
} IrParam;

struct IrFunc {
    const char *name;
    bool is_kernel;
    IrType *ret;           /* void for kernels */
    int nparams;
    IrParam *params;
    IrInst **param_values; /* PARAM instructions, one per parameter */
    PtrVec locals;         /* LOCAL instructions (IrInst *), in creation order */
    IrRegion body;
    uint32_t workgroup[3]; /* kernels: @workgroup size, or {0,0,0} when not fixed */
    SrcLoc loc;
    uint32_t next_id;
    int index;             /* position in IrModule.funcs */
    int hidden_params;     /* trailing parameters added by ir_bounds_check (not in the
                              kernel metadata; docs/debugging.md) */
};

struct IrModule {
    Arena *arena;          /* owns everything below */
    const char *source_name; /* the .claw file as outputs record it (after clawc's prefix
                                maps), for line info and comments; NULL: no line info */
    PtrVec funcs;          /* IrFunc *: device functions and kernels, in source order;
                              a callee may come after its caller */
    PtrVec shared;         /* IrShared * */
    PtrVec types;          /* interning table (private to type.c) */
    unsigned polyfilled;   /* IR_PF_* rules polyfill.c has written into the module */
    bool bounds_checked;   /* ir_bounds_check has instrumented the module */
    PtrVec bounds_sites;   /* IrBoundsSite *, indexed by site id */
};

IrModule *ir_module_new(const char *source_name);
void ir_module_free(IrModule *m);

IrFunc *ir_func_new(IrModule *m, const char *name, bool is_kernel, IrType *ret, int nparams,
                    const IrParam *params, SrcLoc loc);
IrShared *ir_shared_new(IrModule *m, const char *name, IrType *type, SrcLoc loc);

const char *ir_op_name(IrOp op);
int ir_op_flags(IrOp op);
int ir_op_nops(IrOp op);               /* fixed operand count, -1 variadic */

/* Integer constant arithmetic, the one copy for sema and the folder. Values
 * keep the bits above their width zero. ir_sext sign-extends the low `bits`
 * bits of v. ir_fold_int computes the binary op (arithmetic, bitwise,
 * shift, comparison) on x and y of integer type t with the semantics of
 * ops.def (wrapping; MIN / -1 == MIN, MIN % -1 == 0; shift amounts modulo
 * the width; comparisons give 0 or 1) into *out; false for a division by
 * zero (unspecified) and for ops it does not fold. */
int64_t ir_sext(uint64_t v, uint32_t bits);
bool ir_fold_int(IrOp op, const IrType *t, uint64_t x, uint64_t y, uint64_t *out);
IrTypeClass ir_op_type_class(IrOp op);

/* Builder: appends instructions to a current region. Lowering keeps a stack
 * of regions as it enters IF/LOOP bodies. */
typedef struct IrBuilder {
    IrModule *m;
    IrFunc *f;
    IrRegion *r;           /* where new instructions go */
    SrcLoc loc;            /* location given to new instructions */
} IrBuilder;

IrInst *ir_new_inst(IrBuilder *b, IrOp op, IrType *type, int nops, IrInst *const *ops);
/* Appends a freshly made instruction to b->r. */
IrInst *ir_emit(IrBuilder *b, IrOp op, IrType *type, int nops, IrInst *const *ops);
IrInst *ir_const_int(IrBuilder *b, IrType *t, uint64_t v);    /* int or bool; v truncated to width */
IrInst *ir_const_float(IrBuilder *b, IrType *t, double v);    /* v rounded with ir_round_float */
/* v rounded to the float type t, to nearest even, overflow to inf (f64: v). */
double ir_round_float(const IrType *t, double v);
/* The bfloat16 bits of v rounded to bf16 (NaN: 0x7fc0); for constants. */
uint16_t ir_bf16_bits(double v);
IrInst *ir_binop(IrBuilder *b, IrOp op, IrInst *x, IrInst *y); /* arithmetic: type of x; compare: bool */
IrInst *ir_unop(IrBuilder *b, IrOp op, IrInst *x);
IrInst *ir_select(IrBuilder *b, IrInst *c, IrInst *x, IrInst *y); /* c ? x : y, type of x */
IrInst *ir_cast(IrBuilder *b, IrInst *x, IrType *to);
IrInst *ir_local(IrBuilder *b, IrType *t, const char *name);   /* adds to f->locals, not to a region */
IrInst *ir_load(IrBuilder *b, IrInst *ptr);
void ir_store(IrBuilder *b, IrInst *ptr, IrInst *v);
IrInst *ir_elem_ptr(IrBuilder *b, IrInst *ptr, IrInst *index);
IrInst *ir_field_ptr(IrBuilder *b, IrInst *ptr, int field);
IrInst *ir_call(IrBuilder *b, IrFunc *callee, int nargs, IrInst *const *args);
IrInst *ir_if(IrBuilder *b, IrInst *cond);    /* fill ->then_r / ->else_r by pointing b->r at them */
IrInst *ir_loop(IrBuilder *b);                /* fill ->body_r / ->cont_r likewise */
void ir_region_append(IrRegion *r, IrInst *inst); /* grows with malloc-free arena storage of b->m */
bool ir_region_terminated(const IrRegion *r);  /* last inst is BREAK/CONTINUE/RETURN */

/* ---- kernel metadata (docs/language.md §8), computed once for the fat binary --- */

typedef enum IrParamKind { IR_PARAM_SCALAR, IR_PARAM_POINTER, IR_PARAM_STRUCT } IrParamKind;

/* Static shared-memory bytes a kernel uses: every shared variable reachable
 * from it through calls, each aligned to its type's alignment. */
uint64_t ir_kernel_shared_bytes(IrModule *m, IrFunc *kernel);
/* Whether f (transitively) uses shared variable s; for SPIR-V interfaces. */
bool ir_func_uses_shared(IrModule *m, IrFunc *f, IrShared *s);
IrParamKind ir_param_kind(const IrType *t);

/* ---- print.c ----------------------------------------------------------- */

/* Appends the textual form (`--emit=claw-ir`, docs/ir.md) of the module to out. */
void ir_print_module(IrModule *m, Buf *out);

/* How an op's operands and immediates are written in the text form; the
 * printer and the reader (read.c) both follow it, so a new op is classified
 * once (the switch in print.c has no default). */
typedef enum IrSyntax {
    IRS_PLAIN,  /* op %a, %b (fixed count from ops.def, or any for variadic ops) */
    IRS_CONST,  /* const VALUE */
    IRS_PARAM,  /* parameters: only in a function's header */
    IRS_DIM,    /* op.x | op.y | op.z (imm.dim) */
    IRS_SHARED, /* shared @name */
    IRS_CALL,   /* call @name(%a, %b) */
    IRS_LOCAL,  /* local [name] : T (T is the slot's content) */
    IRS_INDEX,  /* op %a[, %b], N (imm.index) */
    IRS_IF,     /* if %c { ... } else { ... } */
    IRS_LOOP,   /* loop [unroll(N|full)] { ... } continuing { ... } [break_if %v] */
} IrSyntax;
IrSyntax ir_op_syntax(IrOp op);
/* Whether a name prints without quotes: [A-Za-z_][A-Za-z0-9_.]* */
bool ir_name_is_plain(const char *s);

/* ---- read.c ------------------------------------------------------------ */

/* Receives one error of ir_read: 1-based line and byte column in the text. */
typedef void (*IrReadError)(void *ctx, uint32_t line, uint32_t col, const char *msg);

/* Parses the text form (docs/ir.md) into a new module. Instruction, struct
 * and shared locations read from `; line:col` get file index `file`. Any
 * input is safe: on the first problem, err is called once with its position
 * and NULL comes back. The result has passed ir_verify (whose lines, if it
 * fails, are reported at line 0). */
IrModule *ir_read(const char *text, size_t len, uint32_t file, IrReadError err, void *ctx);

/* ---- verify.c ---------------------------------------------------------- */

/* Checks every structural and typing invariant of this header. Returns true
 * if the module is well formed; otherwise appends one line per problem to
 * err (if non-NULL) and returns false. A failure is a compiler bug. */
bool ir_verify(IrModule *m, Buf *err);

/* ---- pass.c: target-independent passes ----------------------------------- */

/* Runs the pass pipeline for an optimisation level (0..3); the verifier runs
 * after each pass in debug builds (NDEBUG unset). */
void ir_run_passes(IrModule *m, int opt_level);

/* ---- polyfill.c: language rules a target's instructions lack ------------ */

/* What a target's plain instructions leave undefined, so the polyfill
 * writes it as IR (polyfill.c says how): */
enum {
    IR_PF_INT_DIV = 1, /* integer x / 0 and MIN / -1 (division by 1 instead) */
    IR_PF_SHIFT = 2,   /* shift amounts >= the width (amount & (width - 1)) */
    IR_PF_BF16 = 4,    /* bf16 arithmetic, math and conversions in f32, rounded once */
    IR_PF_MATH = 8,    /* exp exp2 log log2 sin cos tan tanh pow rsqrt as calls of the
                          math library's helpers (mathlib.c), but for the units below */
    /* with IR_PF_MATH, the ops a target keeps for its hardware units: */
    IR_PF_UNIT_EXP2_F32 = 16,   /* f32 exp and exp2 (a 2^f unit) */
    IR_PF_UNIT_RSQRT_F32 = 32,  /* f32 and f16 rsqrt (a 1/sqrt unit) */
    IR_PF_UNIT_LOG2_F32 = 64,   /* f32 and f16 log2 (a log2 unit) */
    IR_PF_UNIT_RSQRT_F64 = 128, /* f64 rsqrt too (the target's own, e.g. GLSL InverseSqrt) */
    /* with IR_PF_MATH: the target's fma may round twice (GLSL Fma on
     * Vulkan), so the library never relies on a single-rounding fma (exact
     * products by Veltkamp/Dekker, Horner as mul + add, constants split so
     * that their products are exact) and the language's fma becomes a call
     * of its single-rounding emulation (mathlib.c) */
    IR_PF_FMA_TWICE = 256,
    /* with IR_PF_MATH: only the target's f16 fma may round twice (the host
     * JIT: LLVM legalises an f16 fma on x86 as an f32 fma rounded to f16),
     * so f16 fma becomes the emulation that IR_PF_FMA_TWICE uses for it;
     * the GPUs' f16 fma (fma.rn.f16, v_fma_f16) rounds once */
    IR_PF_FMA_F16 = 512,
};
/* The bits that make up a math library configuration. */
#define IR_PF_MATH_CONFIG                                                                          \
    (IR_PF_MATH | IR_PF_UNIT_EXP2_F32 | IR_PF_UNIT_RSQRT_F32 | IR_PF_UNIT_LOG2_F32 |               \
     IR_PF_UNIT_RSQRT_F64 | IR_PF_FMA_TWICE | IR_PF_FMA_F16)
/* Writes the rules of `flags` not yet written (IrModule.polyfilled) into
 * every function of m and records them. Each target's emit calls it with
 * its own flags before lowering; it is not part of ir_run_passes, so
 * --emit=claw-ir shows the target-independent IR. The math library is
 * written once: a module whose recorded configuration (the
 * IR_PF_MATH_CONFIG bits of IrModule.polyfilled) differs from the one
 * asked for is a compiler bug (ICE); see ir_polyfill_for. */
void ir_polyfill(IrModule *m, unsigned flags);
/* The module a target lowers with `flags`: m itself with the rules written
 * into it, or, when the math library would rewrite an op of m
 * (ir_math_needed) and m is not the target's own (owned), a copy of m
 * (ir_module_clone) with them, which the caller frees with ir_module_free.
 * Targets differ in the units they keep, so a module that several targets
 * lower never has the math library written into it (docs/ir.md). */
IrModule *ir_polyfill_for(IrModule *m, unsigned flags, bool owned);
/* Whether the math library with the IR_PF_MATH_CONFIG bits of `flags`
 * would rewrite any op of m. */
bool ir_math_needed(IrModule *m, unsigned flags);
/* The math library's part of ir_polyfill (mathlib.c): rewrites the math
 * ops of m's functions for `flags` (IR_PF_MATH_CONFIG bits); runs after the
 * integer and bf16 rules, so its helpers need none of them. */
void ir_polyfill_math(IrModule *m, unsigned flags);
/* The bits of 2/pi that TWO_OVER_PI reads (ops.def; mathlib.c says how they
 * are laid out), for the targets' tables. */
enum { IR_TWO_OVER_PI_WORDS = 38 };
extern const uint32_t ir_two_over_pi[IR_TWO_OVER_PI_WORDS];

/* ---- matrix.c: matrix tiles to per-lane fragments (docs/matrix.md) ------- */

/* How a target multiplies tiles, which also fixes its fragment layout. */
typedef enum IrMmaKind {
    IR_MMA_NONE,        /* no matrix units: the fallback, shuffles and FMAs */
    IR_MMA_NV_M16N8K16, /* PTX mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32, two per tile */
    IR_MMA_AMD_MFMA16,  /* AMD CDNA wave64 v_mfma_f32_16x16x16f16 / _16x16x16bf16_1k, one per tile */
    IR_MMA_AMD_WMMA16,  /* AMD RDNA3 wave32 v_wmma_f32_16x16x16_f16 / _bf16, one per tile */
    IR_MMA_NV_M16N8K8,  /* sm_75: PTX mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32, four per
                           tile (ir_matrix_nv_k8_steps); fragments as IR_MMA_NV_M16N8K16 */
    IR_MMA_NUM
} IrMmaKind;

/* Slots of a fragment when the subgroup size is known only on the device. */
enum { IR_MATRIX_MAX_SLOTS = 64 };

typedef struct IrMatrixTarget {
    uint32_t subgroup_size; /* lanes; 0: known only on the device (SPIR-V) */
    IrMmaKind mma;
} IrMatrixTarget;

/* Whether any function of m uses a matrix type or op. */
bool ir_module_has_matrix(IrModule *m);
/* Rewrites every matrix type and op of m for target t (matrix.c says how);
 * MMA_FRAG remains where t->mma is not IR_MMA_NONE. */
void ir_lower_matrix(IrModule *m, const IrMatrixTarget *t);
/* A deep copy of m (through the text form), for a target to change, with
 * what the text does not carry (IrInst.exact and .unlikely, the hidden
 * parameters and sites of ir_bounds_check). A function whose parameters
 * are not %0 .. %n-1 (ir_bounds_check's hidden ones come last) is
 * renumbered first: ids are names, nothing else changes in m. */
IrModule *ir_module_clone(IrModule *m);
/* The layout: slots per lane (frag_len: the most of any role; role_len:
 * those of one role), and the tile row and column of slot `slot` of lane
 * `lane` for a matrix of this role (IR_MMA_NONE: for subgroup size sg; the
 * others fix their own). A layout may hold an element in several lanes
 * (IR_MMA_AMD_WMMA16 replicates A and B in both half-waves). The code
 * ir_lower_matrix emits evaluates the same tables
 * (tests/unit/test_matrix_lanes.c checks them). */
uint32_t ir_matrix_frag_len(IrMmaKind k, uint32_t sg);
uint32_t ir_matrix_role_len(IrMmaKind k, IrMatRole role, uint32_t sg);
uint32_t ir_matrix_subgroup(IrMmaKind k, uint32_t sg);
void ir_matrix_frag_pos(IrMmaKind k, IrMatRole role, uint32_t sg, uint32_t lane, uint32_t slot,
                        uint32_t *row, uint32_t *col);
/* IR_MMA_NV_M16N8K8: which fragment slots each of the four m16n8k8
 * instructions of a tile product takes, in order (steps 0 and 1 the n8 half
 * of columns 0..7, the second accumulating onto the first's result; steps 2
 * and 3 that of columns 8..15): A slots a[0..3] as the instruction's a0..a3,
 * B slots b[0..1] as b0..b1, accumulator slots acc[0..3] as c0..c3 / d0..d3.
 * The target emits exactly these; tests/unit/test_matrix_lanes.c runs them
 * through a model of m16n8k8 written from the PTX ISA. */
typedef struct IrNvK8Step {
    uint8_t a[4], b[2], acc[4];
} IrNvK8Step;
const IrNvK8Step *ir_matrix_nv_k8_steps(void); /* 4 entries */
/* Whether any function of m has a matrix of bf16 elements (sm_75's tensor
 * cores take f16 only). */
bool ir_module_has_bf16_matrix(IrModule *m);
/* Subgroup sizes the fallback handles: powers of two from 4 to 128. */
bool ir_matrix_sg_supported(uint32_t sg);

/* ---- bounds.c: -fsanitize=bounds (docs/debugging.md) ------------------- */

typedef enum IrBoundsAccess { IR_BOUNDS_LOAD, IR_BOUNDS_STORE, IR_BOUNDS_ATOMIC } IrBoundsAccess;

/* One checked access; its id is its position in IrModule.bounds_sites. */
typedef struct IrBoundsSite {
    SrcLoc loc;
    const char *func;      /* the function holding the access */
    IrBoundsAccess access;
    IrSpace space;
    uint64_t bytes;        /* bytes accessed */
    uint64_t align;        /* alignment the access needs (global only) */
    const char *param;     /* global: the kernel pointer parameter the pointer comes
                              from when the pass can see it, else NULL */
} IrBoundsSite;

/* Instruments every memory access of m (docs/debugging.md): kernels get one
 * hidden u64 extent per pointer parameter and a hidden record pointer after
 * their parameters, device functions the record, the kernel's ranges and a
 * range per pointer parameter; a failing access is suppressed and reported
 * into the record, inline. Runs once, after ir_run_passes. */
void ir_bounds_check(IrModule *m);

#endif
