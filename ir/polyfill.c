/* polyfill.c: the language rules that a target's own instructions do not
 * give, written once as IR (the way Tint's builtin polyfill serves every
 * backend), so that the targets lower each op to its plain instruction.
 *
 * Needs: a verified module. Changes: inserts instructions before the ones
 * it guards (new ids, the location of the guarded instruction) and swaps
 * their operands; nothing is removed. Which rules it writes is a set of
 * IR_PF_* flags, one per rule a target's instructions lack. Each target's
 * emit (and the host JIT) calls ir_polyfill with its own flags before it
 * lowers; the module records what was written (IrModule.polyfilled), so the
 * next target of the same compilation finds it done. The pass is not in
 * ir_run_passes: --emit=claw-ir prints the IR every target starts from, and
 * reading that text back is a fixed point. Every target asks for the same
 * integer and bf16 rules, so one rewrite of the shared module serves all;
 * the math library (IR_PF_MATH, mathlib.c) differs by target and goes into
 * a copy of the module where it rewrites anything (ir_polyfill_for,
 * docs/ir.md).
 *
 *   IR_PF_INT_DIV  docs/language.md §5: x / 0 and x % 0 are unspecified but must
 *                  not trap, MIN / -1 == MIN and MIN % -1 == 0. LLVM's
 *                  sdiv/udiv and SPIR-V's OpSDiv/OpUDiv leave those
 *                  divisors undefined, so they become 1, which gives x / 1
 *                  == x, MIN / 1 == MIN and MIN % 1 == 0:
 *                      d' = select(d == 0 | (x == MIN & d == -1), 1, d)
 *                  (the MIN test only for signed types). A constant divisor
 *                  other than 0 (and -1 when signed) needs no guard.
 *   IR_PF_SHIFT    docs/language.md §5: the shift amount is taken modulo the
 *                  width; LLVM (poison) and SPIR-V (undefined) do not
 *                  define amounts >= the width, so the amount becomes
 *                  amount & (width - 1); a constant amount is reduced in
 *                  place.
 *   IR_PF_BF16     docs/language.md §12: bf16 operations are exact results
 *                  rounded once to bf16. No target is assumed to have bf16
 *                  arithmetic (SPIR-V has none, sm_80 and AMDGPU have
 *                  little), so every bf16 operation becomes f32 ones and the
 *                  targets only convert f32 <-> bf16 (CAST, RNE) and move
 *                  bf16 through memory:
 *                  - + - * %, neg, comparisons and math builtins: operands
 *                    widened exactly to f32, the f32 op, one rounding to
 *                    bf16. For + - * the f32 result rounds twice but
 *                    harmlessly (24 >= 2*8 + 2); % is exact in f32.
 *                  - /: a target's f32 division need not be correctly
 *                    rounded (SPIR-V OpFDiv: 2.5 ulp), so div_bf16 rounds
 *                    its quotient to bf16 and then corrects it by exact
 *                    comparisons with the neighbouring midpoints.
 *                  - fma: a*b is exact in f32 while it is in f32's normal
 *                    range; the sum is rounded to odd in f32 (TwoSum gives
 *                    its exact error), then to bf16.
 *                  - casts to bf16 from anything but f32 round once: f16 and
 *                    8/16-bit integers are exact in f32; f64 is rounded to
 *                    odd in f32; 32/64-bit integers keep 24 bits plus a
 *                    sticky bit. Casts from bf16 go through f32 (exact). */
#include "ir.h"

typedef struct Pf {
    IrBuilder b;      /* b.r: the region being rebuilt */
    unsigned flags;
} Pf;

static bool
is_const_int(const IrInst *in)
{
    return in->op == IR_CONST && in->type && in->type->kind == IRT_INT;
}

static uint64_t
all_ones(uint32_t bits)
{
    return bits >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << bits) - 1;
}

/* The divisor of in (DIV or REM on integers), guarded. */
static IrInst *
guard_divisor(Pf *p, IrInst *in)
{
    IrInst *x = in->ops[0], *d = in->ops[1];
    IrType *t = in->type;
    if (is_const_int(d) && d->imm.i != 0 && !(t->is_signed && d->imm.i == all_ones(t->bits)))
        return d;
    IrInst *bad = ir_binop(&p->b, IR_EQ, d, ir_const_int(&p->b, t, 0));
    if (t->is_signed) {
        IrInst *smin = ir_const_int(&p->b, t, (uint64_t)1 << (t->bits - 1));
        IrInst *min = ir_binop(&p->b, IR_EQ, x, smin);
        IrInst *m1 = ir_binop(&p->b, IR_EQ, d, ir_const_int(&p->b, t, all_ones(t->bits)));
        bad = ir_binop(&p->b, IR_OR, bad, ir_binop(&p->b, IR_AND, min, m1));
    }
    IrInst *ops[3] = {bad, ir_const_int(&p->b, t, 1), d};
    return ir_emit(&p->b, IR_SELECT, t, 3, ops);
}

/* The amount of in (SHL or SHR), taken modulo the width. */
static IrInst *
mask_amount(Pf *p, IrInst *in)
{
    IrInst *s = in->ops[1];
    uint64_t w1 = in->type->bits - 1;
    if (is_const_int(s))
        return s->imm.i <= w1 ? s : ir_const_int(&p->b, s->type, s->imm.i & w1);
    return ir_binop(&p->b, IR_AND, s, ir_const_int(&p->b, s->type, w1));
}


/* ---- bf16 (IR_PF_BF16) ---------------------------------------------------- */

static bool
is_bf16(const IrType *t)
{
    return t && t->kind == IRT_FLOAT && t->is_bf16;
}

static IrType *
f32_type(Pf *p)
{
    return ir_type_float(p->b.m, 32);
}

static IrType *
u32_type(Pf *p)
{
    return ir_type_int(p->b.m, 32, false);
}

static IrInst *
f32c(Pf *p, double v)
{
    return ir_const_float(&p->b, f32_type(p), v);
}

static IrInst *
u32c(Pf *p, uint64_t v)
{
    return ir_const_int(&p->b, u32_type(p), v);
}

static IrInst *
sel(Pf *p, IrInst *c, IrInst *a, IrInst *b)
{
    return ir_select(&p->b, c, a, b);
}

static IrInst *
bitcast(Pf *p, IrInst *x, IrType *to)
{
    return ir_emit(&p->b, IR_BITCAST, to, 1, &x);
}

/* The exact f32 value of a bf16 x. */
static IrInst *
widen(Pf *p, IrInst *x)
{
    return ir_cast(&p->b, x, f32_type(p));
}

/* Turns in (of type bf16) into the one rounding of the f32 value v. */
static void
become_round(IrInst *in, IrInst *v, Arena *a)
{
    in->op = IR_CAST;
    in->nops = 1;
    in->ops = arena_alloc(a, sizeof *in->ops);
    in->ops[0] = v;
}

/* x + one ulp towards the side `up` (x finite, not 0 when !up), as bits. */
static IrInst *
nudge(Pf *p, IrInst *xbits, IrInst *up)
{
    return sel(p, up, ir_binop(&p->b, IR_ADD, xbits, u32c(p, 1)),
               ir_binop(&p->b, IR_SUB, xbits, u32c(p, 1)));
}

/* a / b for bf16 a, b, correctly rounded, as an f32 holding a bf16 value.
 * For finite nonzero |a| = A, |b| = B: Q0 = A / B in f32 (B scaled into
 * [2^-64, 2^64], where Vulkan bounds OpFDiv by 2.5 ulp), C = RNE_bf16(Q0).
 * The exact A/B is within a few f32 ulp of Q0, so the correct result is C
 * or a bf16 neighbour of it. The midpoints between C and its neighbours,
 * m = bits(C) << 16 | 0x8000 and the one below, have 9 significant bits, so
 * m*B (17 bits) is exact in f32 and A/B vs m is decided exactly by A vs m*B
 * (both scaled by 2^64 when A is tiny, so m*B never underflows). A quotient
 * of 8-bit numbers is never a normal midpoint; subnormal results can be,
 * and then ties go to the even neighbour. NaN, inf and 0 operands take
 * the plain quotient (IEEE's special cases). */
static IrInst *
div_bf16(Pf *p, IrInst *a, IrInst *b)
{
    IrBuilder *B_ = &p->b;
    IrType *u32 = u32_type(p), *f32 = f32_type(p);
    IrInst *fa = widen(p, a), *fb = widen(p, b);
    IrInst *plain = ir_binop(B_, IR_DIV, fa, fb);
    IrInst *A = ir_unop(B_, IR_ABS, fa), *B = ir_unop(B_, IR_ABS, fb);
    IrInst *inf = f32c(p, 1.0 / 0.0), *zero = f32c(p, 0);
    IrInst *ok = ir_binop(B_, IR_AND,
                          ir_binop(B_, IR_AND, ir_binop(B_, IR_GT, A, zero), ir_binop(B_, IR_LT, A, inf)),
                          ir_binop(B_, IR_AND, ir_binop(B_, IR_GT, B, zero), ir_binop(B_, IR_LT, B, inf)));
    IrInst *big = f32c(p, 18446744073709551616.0), *small = f32c(p, 1.0 / 18446744073709551616.0);
    IrInst *sb = sel(p, ir_binop(B_, IR_GE, B, big), small,
                     sel(p, ir_binop(B_, IR_LT, B, small), big, f32c(p, 1.0)));
    IrInst *q0 = ir_binop(B_, IR_MUL, ir_binop(B_, IR_DIV, A, ir_binop(B_, IR_MUL, B, sb)), sb);
    IrInst *c = widen(p, ir_cast(B_, q0, ir_type_bf16(B_->m)));
    IrInst *cb = ir_binop(B_, IR_SHR, bitcast(p, c, u32), u32c(p, 16));
    IrInst *hi_bits = ir_binop(B_, IR_OR, ir_binop(B_, IR_SHL, cb, u32c(p, 16)), u32c(p, 0x8000));
    IrInst *lo_bits = ir_binop(B_, IR_SUB, hi_bits, u32c(p, 0x10000));
    IrInst *sc = sel(p, ir_binop(B_, IR_LT, A, f32c(p, 0x1p-100)), big, f32c(p, 1.0));
    IrInst *a2 = ir_binop(B_, IR_MUL, A, sc);
    IrInst *phi = ir_binop(B_, IR_MUL, ir_binop(B_, IR_MUL, bitcast(p, hi_bits, f32), sc), B);
    IrInst *plo = ir_binop(B_, IR_MUL, ir_binop(B_, IR_MUL, bitcast(p, lo_bits, f32), sc), B);
    IrInst *odd = ir_binop(B_, IR_NE, ir_binop(B_, IR_AND, cb, u32c(p, 1)), u32c(p, 0));
    IrInst *up = ir_binop(B_, IR_AND, ir_binop(B_, IR_LT, cb, u32c(p, 0x7f80)),
                          ir_binop(B_, IR_OR, ir_binop(B_, IR_GT, a2, phi),
                                   ir_binop(B_, IR_AND, ir_binop(B_, IR_EQ, a2, phi), odd)));
    IrInst *down = ir_binop(B_, IR_AND, ir_binop(B_, IR_NE, cb, u32c(p, 0)),
                            ir_binop(B_, IR_OR, ir_binop(B_, IR_LT, a2, plo),
                                     ir_binop(B_, IR_AND, ir_binop(B_, IR_EQ, a2, plo), odd)));
    IrInst *cb2 = sel(p, up, ir_binop(B_, IR_ADD, cb, u32c(p, 1)),
                      sel(p, down, ir_binop(B_, IR_SUB, cb, u32c(p, 1)), cb));
    IrInst *r = bitcast(p, ir_binop(B_, IR_SHL, cb2, u32c(p, 16)), f32);
    IrInst *neg = ir_binop(B_, IR_XOR, ir_binop(B_, IR_LT, fa, zero), ir_binop(B_, IR_LT, fb, zero));
    r = sel(p, neg, ir_unop(B_, IR_NEG, r), r);
    return sel(p, ok, r, plain);
}

/* The sum pr + c rounded to odd in f32 (exact operands): TwoSum's exact
 * error e; a nonzero e with an even last bit moves the sum one ulp towards
 * the exact value, which makes a later rounding to bf16 correct (24 >= 8 + 2). */
static IrInst *
sum_to_odd(Pf *p, IrInst *pr, IrInst *c)
{
    IrBuilder *B_ = &p->b;
    IrInst *s = ir_binop(B_, IR_ADD, pr, c);
    IrInst *bb = ir_binop(B_, IR_SUB, s, pr);
    IrInst *e = ir_binop(B_, IR_ADD, ir_binop(B_, IR_SUB, pr, ir_binop(B_, IR_SUB, s, bb)),
                         ir_binop(B_, IR_SUB, c, bb));
    IrInst *zero = f32c(p, 0);
    IrInst *sbits = bitcast(p, s, u32_type(p));
    IrInst *even = ir_binop(B_, IR_EQ, ir_binop(B_, IR_AND, sbits, u32c(p, 1)), u32c(p, 0));
    IrInst *finite = ir_binop(B_, IR_LT, ir_unop(B_, IR_ABS, s), f32c(p, 1.0 / 0.0));
    IrInst *fix = ir_binop(B_, IR_AND,
                           ir_binop(B_, IR_AND, finite, ir_binop(B_, IR_NE, e, zero)), even);
    /* away from zero when e has s's sign (s != 0 whenever e != 0) */
    IrInst *away = ir_binop(B_, IR_EQ, ir_binop(B_, IR_GT, e, zero), ir_binop(B_, IR_GT, s, zero));
    return bitcast(p, sel(p, fix, nudge(p, sbits, away), sbits), f32_type(p));
}

/* fma(a, b, c) for bf16 as an f32 that rounds to bf16 like the exact
 * a*b + c. The product of two 8-bit significands is exact in f32 inside
 * f32's normal range; outside it one factor is scaled by 2^-64 (|a*b| >=
 * 2^127) or 2^64 (|a*b| < 2^-126), c with it, and the sum rounded to odd
 * in the scaled range:
 *   - scaled down, a c too small to survive the scaling is replaced by
 *     +-2^-100, far below the sum's last bit but with c's sign (it only
 *     decides ties); the odd sum scaled back is exact or overflows;
 *   - scaled up, a |c| >= 2^-60 is the result (|a*b| is below half its
 *     ulp); otherwise c scales exactly, and a result below bf16's normal
 *     range is rounded to its fixed spacing (2^-133, 2^-69 scaled) by
 *     adding and subtracting 1.5 * 2^-46 before scaling back (exact);
 *   - |a*b| < 2^-136 is below half of bf16's least subnormal: the result is
 *     c, or the product's signed zero when c is 0. */
static IrInst *
fma_bf16(Pf *p, IrInst *a, IrInst *b, IrInst *c)
{
    IrBuilder *B_ = &p->b;
    IrInst *fa = widen(p, a), *fb = widen(p, b), *fc = widen(p, c);
    IrInst *aa = ir_unop(B_, IR_ABS, fa), *ab = ir_unop(B_, IR_ABS, fb);
    IrInst *inf = f32c(p, 1.0 / 0.0), *zero = f32c(p, 0), *one = f32c(p, 1.0);
    IrInst *down = f32c(p, 0x1p-64), *upk = f32c(p, 0x1p64);
    IrInst *pr = ir_binop(B_, IR_MUL, fa, fb), *apr = ir_unop(B_, IR_ABS, pr);
    IrInst *finite = ir_binop(B_, IR_AND, ir_binop(B_, IR_LT, aa, inf), ir_binop(B_, IR_LT, ab, inf));
    IrInst *nonzero = ir_binop(B_, IR_AND, ir_binop(B_, IR_NE, fa, zero), ir_binop(B_, IR_NE, fb, zero));
    IrInst *big = ir_binop(B_, IR_AND, finite, ir_binop(B_, IR_GE, apr, f32c(p, 0x1p127)));
    IrInst *under = ir_binop(B_, IR_AND, nonzero, ir_binop(B_, IR_LT, apr, f32c(p, 0x1p-126)));
    IrInst *tiny = ir_binop(B_, IR_AND, nonzero, ir_binop(B_, IR_LT, apr, f32c(p, 0x1p-136)));
    IrInst *small = ir_binop(B_, IR_AND, under, ir_unop(B_, IR_NOT, tiny));
    /* big: scale the larger factor down; small: the smaller one up */
    IrInst *k = sel(p, big, down, sel(p, small, upk, one));
    IrInst *scale_a = sel(p, big, ir_binop(B_, IR_GE, aa, ab), ir_binop(B_, IR_LE, aa, ab));
    IrInst *a2 = sel(p, scale_a, ir_binop(B_, IR_MUL, fa, k), fa);
    IrInst *b2 = sel(p, scale_a, fb, ir_binop(B_, IR_MUL, fb, k));
    IrInst *ac = ir_unop(B_, IR_ABS, fc);
    IrInst *c_lost = ir_binop(B_, IR_AND, big,
                              ir_binop(B_, IR_AND, ir_binop(B_, IR_LT, ac, f32c(p, 0x1p-62)),
                                       ir_binop(B_, IR_NE, fc, zero)));
    IrInst *c_sticky = sel(p, ir_binop(B_, IR_GT, fc, zero), f32c(p, 0x1p-100), f32c(p, -0x1p-100));
    IrInst *c2 = sel(p, c_lost, c_sticky, ir_binop(B_, IR_MUL, fc, k));
    IrInst *so = sum_to_odd(p, ir_binop(B_, IR_MUL, a2, b2), c2);
    /* back to the unscaled range */
    IrInst *K = f32c(p, 0x1.8p-46);
    IrInst *grid = ir_binop(B_, IR_SUB, ir_binop(B_, IR_ADD, so, K), K);
    IrInst *sub = ir_binop(B_, IR_LT, ir_unop(B_, IR_ABS, so), f32c(p, 0x1p-62));
    IrInst *small_r = ir_binop(B_, IR_MUL, sel(p, sub, grid, so), down);
    /* a result that rounded to zero keeps the sum's sign: through the bits,
     * as Vulkan need not keep a zero's sign in float arithmetic */
    IrType *u32 = u32_type(p);
    IrInst *sign = u32c(p, 0x80000000u);
    small_r = bitcast(p, ir_binop(B_, IR_OR, bitcast(p, small_r, u32),
                                  ir_binop(B_, IR_AND, bitcast(p, so, u32), sign)), f32_type(p));
    IrInst *r = sel(p, big, ir_binop(B_, IR_MUL, so, upk), sel(p, small, small_r, so));
    IrInst *c_dom = ir_binop(B_, IR_AND, small, ir_binop(B_, IR_GE, ac, f32c(p, 0x1p-60)));
    /* the product's signed zero */
    IrInst *psign = ir_binop(B_, IR_XOR, bitcast(p, fa, u32), bitcast(p, fb, u32));
    IrInst *pzero = bitcast(p, ir_binop(B_, IR_AND, psign, sign), f32_type(p));
    IrInst *tiny_r = sel(p, ir_binop(B_, IR_EQ, fc, zero), pzero, fc);
    r = sel(p, c_dom, fc, r);
    r = sel(p, tiny, tiny_r, r);
    /* a finite a*b plus an infinite c is c */
    IrInst *c_inf = ir_binop(B_, IR_AND, finite, ir_binop(B_, IR_EQ, ac, inf));
    return sel(p, c_inf, fc, r);
}

/* f64 d rounded to odd in f32: RNE, then a result that is inexact and even
 * moves one ulp towards d (its bits +-1, sign-magnitude). */
static IrInst *
f64_to_f32_odd(Pf *p, IrInst *d)
{
    IrBuilder *B_ = &p->b;
    IrInst *r = ir_cast(B_, d, f32_type(p));
    IrInst *back = ir_cast(B_, r, d->type);
    IrInst *rbits = bitcast(p, r, u32_type(p));
    IrInst *inexact = ir_binop(B_, IR_AND, ir_binop(B_, IR_NE, back, d), ir_binop(B_, IR_EQ, d, d));
    IrInst *even = ir_binop(B_, IR_EQ, ir_binop(B_, IR_AND, rbits, u32c(p, 1)), u32c(p, 0));
    IrInst *toward_zero = ir_binop(B_, IR_GT, ir_unop(B_, IR_ABS, back), ir_unop(B_, IR_ABS, d));
    IrInst *moved = nudge(p, rbits, ir_unop(B_, IR_NOT, toward_zero));
    return bitcast(p, sel(p, ir_binop(B_, IR_AND, inexact, even), moved, rbits), f32_type(p));
}

/* A 32- or 64-bit integer x as an f32 that rounds to bf16 like x: its
 * magnitude keeps its leading 24 bits and ORs the rest into the last one
 * (a sticky bit), which makes it exact in f32; the leading bit's position
 * comes from the exponent of the magnitude converted to f32. */
static IrInst *
int_to_f32_sticky(Pf *p, IrInst *x)
{
    IrBuilder *B_ = &p->b;
    IrType *t = x->type, *ut = ir_type_int(B_->m, t->bits, false), *u32 = u32_type(p);
    IrInst *m = ir_cast(B_, x, ut), *neg = NULL;
    if (t->is_signed) {
        neg = ir_binop(B_, IR_LT, x, ir_const_int(B_, t, 0));
        m = sel(p, neg, ir_unop(B_, IR_NEG, m), m);
    }
    IrInst *ebits = ir_binop(B_, IR_SHR, bitcast(p, ir_cast(B_, m, f32_type(p)), u32), u32c(p, 23));
    IrInst *k = sel(p, ir_binop(B_, IR_GT, ebits, u32c(p, 150)),
                    ir_binop(B_, IR_SUB, ebits, u32c(p, 150)), u32c(p, 0));
    IrInst *kt = ir_cast(B_, k, ut);
    IrInst *one = ir_const_int(B_, ut, 1);
    IrInst *low = ir_binop(B_, IR_AND, m, ir_binop(B_, IR_SUB, ir_binop(B_, IR_SHL, one, kt), one));
    IrInst *sticky = sel(p, ir_binop(B_, IR_NE, low, ir_const_int(B_, ut, 0)), one,
                         ir_const_int(B_, ut, 0));
    IrInst *y = ir_binop(B_, IR_OR, ir_binop(B_, IR_SHR, m, kt), sticky);
    IrInst *scale = bitcast(p, ir_binop(B_, IR_SHL, ir_binop(B_, IR_ADD, k, u32c(p, 127)), u32c(p, 23)),
                            f32_type(p));
    IrInst *v = ir_binop(B_, IR_MUL, ir_cast(B_, y, f32_type(p)), scale);
    return neg ? sel(p, neg, ir_unop(B_, IR_NEG, v), v) : v;
}

/* x (any numeric type but f32 and bf16) as an f32 that rounds to bf16 as x does. */
static IrInst *
to_f32_for_bf16(Pf *p, IrInst *x)
{
    const IrType *t = x->type;
    if (t->kind == IRT_FLOAT && t->bits == 64)
        return f64_to_f32_odd(p, x);
    if (t->kind == IRT_INT && t->bits >= 32)
        return int_to_f32_sticky(p, x);
    return ir_cast(&p->b, x, f32_type(p)); /* f16, 8/16-bit integers, bool: exact */
}

static void polyfill_bf16_inner(Pf *p, IrInst *in);

/* Rewrites in, a bf16 operation, in f32 (the list in the file comment);
 * every float instruction it adds is `exact`: TwoSum and the division's
 * comparisons rely on each step being one IEEE operation (a driver that
 * simplified (a + b) - a to b would break them). */
static void
polyfill_bf16(Pf *p, IrInst *in)
{
    int before = p->b.r->len;
    polyfill_bf16_inner(p, in);
    for (int i = before; i < p->b.r->len; i++)
        p->b.r->insts[i]->exact = true;
}

static void
polyfill_bf16_inner(Pf *p, IrInst *in)
{
    Arena *a = p->b.m->arena;
    if (in->op == IR_CAST) {
        IrType *from = in->ops[0]->type, *to = in->type;
        bool from32 = from->kind == IRT_FLOAT && from->bits == 32;
        bool to32 = to->kind == IRT_FLOAT && to->bits == 32;
        if (from == to || (is_bf16(from) && to32) || (is_bf16(to) && from32))
            return; /* the targets' own conversions */
        if (is_bf16(from))
            in->ops[0] = widen(p, in->ops[0]);
        else if (is_bf16(to))
            in->ops[0] = to_f32_for_bf16(p, in->ops[0]);
        return;
    }
    if (in->op >= IR_EQ && in->op <= IR_GE) {
        if (is_bf16(in->ops[0]->type)) {
            in->ops[0] = widen(p, in->ops[0]);
            in->ops[1] = widen(p, in->ops[1]);
        }
        return;
    }
    /* ops.def: the float and numeric classes are exactly the arithmetic and
     * math ops (result and operands of one type); everything else only
     * moves bf16 values (loads, selects, calls, ...) */
    IrTypeClass c = ir_op_type_class(in->op);
    if (!is_bf16(in->type) || (c != IRC_FLOAT && c != IRC_NUMERIC))
        return;
    IrInst *v;
    if (in->op == IR_DIV) {
        v = div_bf16(p, in->ops[0], in->ops[1]);
    } else if (in->op == IR_FMA) {
        v = fma_bf16(p, in->ops[0], in->ops[1], in->ops[2]);
    } else {
        IrInst *ops[3];
        if (in->nops > 3)
            ICE("%s with %d operands", ir_op_name(in->op), in->nops);
        for (int i = 0; i < in->nops; i++)
            ops[i] = widen(p, in->ops[i]);
        v = ir_emit(&p->b, in->op, f32_type(p), in->nops, ops);
    }
    become_round(in, v, a);
}

static void polyfill_region(Pf *p, IrRegion *r);

/* Appends what in needs, then in itself, to p->b.r. */
static void
polyfill_inst(Pf *p, IrInst *in)
{
    p->b.loc = in->loc;
    if (p->flags & IR_PF_BF16)
        polyfill_bf16(p, in);
    switch (in->op) {
    case IR_DIV:
    case IR_REM:
        if ((p->flags & IR_PF_INT_DIV) && in->type->kind == IRT_INT)
            in->ops[1] = guard_divisor(p, in);
        break;
    case IR_SHL:
    case IR_SHR:
        if (p->flags & IR_PF_SHIFT)
            in->ops[1] = mask_amount(p, in);
        break;
    case IR_IF:
        polyfill_region(p, &in->then_r);
        polyfill_region(p, &in->else_r);
        break;
    case IR_LOOP:
        polyfill_region(p, &in->body_r);
        polyfill_region(p, &in->cont_r);
        break;
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_PARAM: case IR_ADD: case IR_SUB:
    case IR_MUL: case IR_AND: case IR_OR: case IR_XOR: case IR_NEG: case IR_NOT: case IR_EQ:
    case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_CAST: case IR_BITCAST:
    case IR_SELECT: case IR_LOCAL: case IR_SHARED: case IR_LOAD: case IR_STORE: case IR_ELEM_PTR:
    case IR_FIELD_PTR: case IR_PTR_ADD: case IR_EXTRACT: case IR_INSERT: case IR_COMPOSITE:
    case IR_CALL: case IR_THREAD_ID: case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM:
    case IR_GLOBAL_ID: case IR_BARRIER: case IR_SQRT: case IR_RSQRT: case IR_EXP: case IR_EXP2:
    case IR_LOG: case IR_LOG2: case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH: case IR_POW:
    case IR_FLOOR: case IR_CEIL: case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ:
    case IR_ABS: case IR_MIN:
    case IR_MAX: case IR_CLAMP: case IR_FMA: case IR_ATOMIC_ADD: case IR_ATOMIC_SUB:
    case IR_ATOMIC_MIN: case IR_ATOMIC_MAX: case IR_ATOMIC_AND: case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG: case IR_ATOMIC_CAS: case IR_LANE_ID:
    case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID: case IR_NUM_SUBGROUPS: case IR_SHUFFLE:
    case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL:
    case IR_BREAK: case IR_CONTINUE: case IR_RETURN: case IR_MMA_FRAG: case IR_MAT_SG_SIZE:
        break;
    IR_MATRIX_OP_CASES:
        /* ir_lower_matrix usually runs first; the cooperative-matrix SPIR-V
         * image keeps them (their operands are f16/f32 tiles, u32 and f32
         * scalars, which need nothing here) */
        break;
    case IR_NUM_OPS: UNREACHABLE();
    }
    ir_region_append(p->b.r, in);
}

/* Rebuilds r with the inserted instructions in front of their users. */
static void
polyfill_region(Pf *p, IrRegion *r)
{
    IrRegion out = {0};
    IrRegion *saved = p->b.r;
    for (int i = 0; i < r->len; i++) {
        p->b.r = &out;
        polyfill_inst(p, r->insts[i]);
    }
    p->b.r = saved;
    *r = out;
}

void
ir_polyfill(IrModule *m, unsigned flags)
{
    unsigned math = flags & IR_PF_MATH_CONFIG;
    if (!(flags & IR_PF_MATH))
        math = 0;
    if (math && (m->polyfilled & IR_PF_MATH) && (m->polyfilled & IR_PF_MATH_CONFIG) != math)
        ICE("the module's math library was written for another target (ir_polyfill_for)");
    unsigned rules = flags & ~IR_PF_MATH_CONFIG & ~m->polyfilled;
    /* a module the library leaves as it is records nothing: any target's
     * configuration fits it */
    bool write_math = math && !(m->polyfilled & IR_PF_MATH) && ir_math_needed(m, math);
    if (!rules && !write_math)
        return;
    for (int i = 0; rules && i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        Pf p = {.b = {.m = m, .f = f}, .flags = rules};
        polyfill_region(&p, &f->body);
    }
    m->polyfilled |= rules;
    if (write_math) {
        /* after the rules above: the helpers need none of them (their
         * shifts are in range, their divisions float, their types f32/f64) */
        ir_polyfill_math(m, math);
        m->polyfilled |= math;
    }
#ifndef NDEBUG
    Buf err = {0};
    if (!ir_verify(m, &err)) {
        buf_append(&err, "", 1);
        ICE("IR invalid after the polyfill:\n%s", (const char *)err.data);
    }
    buf_free(&err);
#endif
}

IrModule *
ir_polyfill_for(IrModule *m, unsigned flags, bool owned)
{
    /* a module with math that the library would rewrite for this target
     * stays as it is for the others: the copy gets the rules */
    bool math = (flags & IR_PF_MATH) && !(m->polyfilled & IR_PF_MATH) && ir_math_needed(m, flags);
    IrModule *t = math && !owned ? ir_module_clone(m) : m;
    ir_polyfill(t, flags);
    return t;
}
