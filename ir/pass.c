/* pass.c: the target-independent pass pipeline.
 *
 * Needs: a module that passes ir_verify. Changes: regions only; functions,
 * types, shared variables, PARAMs and LOCALs are never added or removed, and
 * instructions keep their ids, so targets' maps and the printed numbering
 * stay stable. The pipeline is the `passes` table below, run in order; each
 * pass is a function over one IrFunc. In debug builds (NDEBUG unset) the
 * verifier runs after every pass, so a pass that breaks an invariant is
 * caught at the pass, not in a backend.
 *
 * Folding happens in place: a folded instruction becomes a CONST with the
 * same id and type, so its users need not be rewritten; the operands it no
 * longer uses are then left to dead-code elimination. */
#include "ir.h"

#include <stdlib.h>

/* ---- drop-unreachable: nothing follows a terminator -------------------- */

static bool
drop_after_term(IrRegion *r)
{
    bool changed = false;
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        if (in->op == IR_IF) {
            changed |= drop_after_term(&in->then_r);
            changed |= drop_after_term(&in->else_r);
        } else if (in->op == IR_LOOP) {
            changed |= drop_after_term(&in->body_r);
            changed |= drop_after_term(&in->cont_r);
        }
        if ((ir_op_flags(in->op) & IRF_TERM) && r->len > i + 1) {
            r->len = i + 1;
            return true;
        }
    }
    return changed;
}

static bool
pass_drop_unreachable(IrModule *m, IrFunc *f)
{
    return drop_after_term(&f->body);
}

/* ---- fold-constants: integer operations on two constants --------------- */

static bool
is_int_const(const IrInst *in)
{
    return in->op == IR_CONST && in->type && in->type->kind == IRT_INT;
}

static bool
fold_region(IrRegion *r)
{
    bool changed = false;
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        if (in->op == IR_IF) {
            changed |= fold_region(&in->then_r);
            changed |= fold_region(&in->else_r);
        } else if (in->op == IR_LOOP) {
            changed |= fold_region(&in->body_r);
            changed |= fold_region(&in->cont_r);
        }
        if (in->nops != 2 || !is_int_const(in->ops[0]) || !is_int_const(in->ops[1]) ||
            in->ops[0]->type != in->ops[1]->type)
            continue;
        uint64_t v;
        if (!ir_fold_int(in->op, in->ops[0]->type, in->ops[0]->imm.i, in->ops[1]->imm.i, &v))
            continue;
        in->op = IR_CONST;
        in->nops = 0;
        in->ops = NULL;
        in->imm.i = v;
        changed = true;
    }
    return changed;
}

static bool
pass_fold_constants(IrModule *m, IrFunc *f)
{
    return fold_region(&f->body);
}

/* ---- dce: unused values without side effects --------------------------- */

static void
count_uses(const IrRegion *r, int *uses, uint32_t n)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        for (int k = 0; k < in->nops; k++)
            if (in->ops[k] && in->ops[k]->id < n)
                uses[in->ops[k]->id]++;
        if (in->op == IR_IF) {
            count_uses(&in->then_r, uses, n);
            count_uses(&in->else_r, uses, n);
        } else if (in->op == IR_LOOP) {
            count_uses(&in->body_r, uses, n);
            count_uses(&in->cont_r, uses, n);
            if (in->break_if && in->break_if->id < n)
                uses[in->break_if->id]++;
        }
    }
}

static bool
sweep(IrRegion *r, const int *uses, uint32_t n)
{
    bool changed = false;
    int kept = 0;
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        int flags = ir_op_flags(in->op);
        bool dead = (flags & IRF_VALUE) && !(flags & IRF_EFFECT) && in->op != IR_LOCAL &&
                    in->op != IR_PARAM && in->id < n && uses[in->id] == 0;
        if (dead) {
            changed = true;
            continue;
        }
        if (in->op == IR_IF) {
            changed |= sweep(&in->then_r, uses, n);
            changed |= sweep(&in->else_r, uses, n);
        } else if (in->op == IR_LOOP) {
            changed |= sweep(&in->body_r, uses, n);
            changed |= sweep(&in->cont_r, uses, n);
        }
        r->insts[kept++] = in;
    }
    r->len = kept;
    return changed;
}

static bool
pass_dce(IrModule *m, IrFunc *f)
{
    uint32_t n = f->next_id;
    int *uses = malloc(sizeof *uses * ((size_t)n + 1));
    if (!uses)
        ICE("out of memory");
    bool any = false, changed;
    /* Removing a value can make its operands dead: repeat to a fixpoint. */
    do {
        for (uint32_t i = 0; i < n; i++)
            uses[i] = 0;
        count_uses(&f->body, uses, n);
        changed = sweep(&f->body, uses, n);
        any |= changed;
    } while (changed);
    free(uses);
    return any;
}

/* ---- the pipeline -------------------------------------------------------- */

typedef struct Pass {
    const char *name;
    int min_level;                           /* runs at -O<min_level> and above */
    bool (*run)(IrModule *m, IrFunc *f);     /* returns whether it changed f */
} Pass;

static const Pass passes[] = {
    {"drop-unreachable", 0, pass_drop_unreachable},
    {"fold-constants", 1, pass_fold_constants},
    {"dce", 0, pass_dce},
};

void
ir_run_passes(IrModule *m, int opt_level)
{
    for (size_t p = 0; p < sizeof passes / sizeof passes[0]; p++) {
        if (opt_level < passes[p].min_level)
            continue;
        for (int i = 0; i < m->funcs.len; i++)
            passes[p].run(m, m->funcs.data[i]);
#ifndef NDEBUG
        Buf err = {0};
        if (!ir_verify(m, &err)) {
            buf_append(&err, "", 1);
            ICE("IR invalid after pass %s:\n%s", passes[p].name, (const char *)err.data);
        }
        buf_free(&err);
#endif
    }
}
