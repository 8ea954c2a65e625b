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
 * reading that text back is a fixed point. While every target asks for the
 * same rules (today: all of them, docs/ir.md), one rewrite serves all; a
 * target that asked for fewer would need its own copy of the module.
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
 *                  place. */
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

static void polyfill_region(Pf *p, IrRegion *r);

/* Appends what in needs, then in itself, to p->b.r. */
static void
polyfill_inst(Pf *p, IrInst *in)
{
    p->b.loc = in->loc;
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
    case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_CAST: case IR_SELECT:
    case IR_LOCAL: case IR_SHARED: case IR_LOAD: case IR_STORE: case IR_ELEM_PTR:
    case IR_FIELD_PTR: case IR_PTR_ADD: case IR_EXTRACT: case IR_INSERT: case IR_COMPOSITE:
    case IR_CALL: case IR_THREAD_ID: case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM:
    case IR_GLOBAL_ID: case IR_BARRIER: case IR_SQRT: case IR_RSQRT: case IR_EXP: case IR_EXP2:
    case IR_LOG: case IR_LOG2: case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH: case IR_POW:
    case IR_FLOOR: case IR_CEIL: case IR_ROUND: case IR_TRUNC: case IR_ABS: case IR_MIN:
    case IR_MAX: case IR_CLAMP: case IR_FMA: case IR_ATOMIC_ADD: case IR_ATOMIC_SUB:
    case IR_ATOMIC_MIN: case IR_ATOMIC_MAX: case IR_ATOMIC_AND: case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG: case IR_ATOMIC_CAS: case IR_LANE_ID:
    case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID: case IR_NUM_SUBGROUPS: case IR_SHUFFLE:
    case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL:
    case IR_BREAK: case IR_CONTINUE: case IR_RETURN:
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
    flags &= ~m->polyfilled;
    if (!flags)
        return;
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        Pf p = {.b = {.m = m, .f = f}, .flags = flags};
        polyfill_region(&p, &f->body);
    }
    m->polyfilled |= flags;
#ifndef NDEBUG
    Buf err = {0};
    if (!ir_verify(m, &err)) {
        buf_append(&err, "", 1);
        ICE("IR invalid after the polyfill:\n%s", (const char *)err.data);
    }
    buf_free(&err);
#endif
}
