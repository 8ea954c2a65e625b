/* bounds.c: `clawc -fsanitize=bounds` (docs/debugging.md), written once as
 * IR so that every target checks the same way.
 *
 * Needs: a verified module (after ir_run_passes). Changes: appends hidden
 * parameters to every function, inserts a check in front of every LOAD,
 * STORE and atomic that goes through a global pointer or an ELEM_PTR of a
 * shared or private array, and suppresses and reports a failing one.
 * Nothing the original computed changes when every access passes.
 *
 * Global pointers carry a shadow range [lo, hi) of u64 addresses:
 *   - kernel pointer parameter i: lo = its address, hi = lo + hidden extent
 *     parameter i (the bytes from the pointer to its buffer's end, which the
 *     runtime fills in; docs/debugging.md);
 *   - PTR_ADD, FIELD_PTR, ELEM_PTR, a const cast: the operand's range;
 *   - SELECT: the selected range; a pointer LOCAL slot: two u64 shadow slots
 *     stored beside every store to it;
 *   - device function pointer parameters: hidden (lo, hi) parameters the
 *     caller passes;
 *   - anything else (a pointer made from a u64, loaded from memory, taken
 *     from a struct, returned by a call, null): unknown, encoded lo = 1,
 *     hi = 0. An access through an unknown pointer passes when it lies in
 *     the range of any pointer argument of the launch: kernels pass their
 *     ranges (K pairs, K = the most pointer parameters of any kernel of the
 *     module, padded with empty ranges) to every device function.
 * An access of n bytes at address a passes when lo <= a, a + n <= hi, a + n
 * does not wrap, and a is a multiple of the access's alignment.
 *
 * Shared and private pointers carry a bool "every index so far was inside
 * its array", with the first bad index and its array's length; an ELEM_PTR
 * whose index is a constant inside the array adds nothing, and a bad index
 * is replaced by 0 so that no target ever forms an address outside the
 * array.
 *
 * A failing access is skipped (a load or atomic gives zero) and reports,
 * inline: it claims the launch's record with a compare-and-swap 0 -> 1,
 * writes the site, address or index, range, block and thread, and sets the
 * state to 2 (docs/debugging.md "The record"). */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* Words of the device record (docs/debugging.md), u32 each. */
enum {
    REC_STATE = 0,
    REC_SITE = 1,
    REC_ADDR = 2,  /* u64: global address, or shared/private index */
    REC_LO = 4,    /* u64: range start, or 0 */
    REC_HI = 6,    /* u64: range end, or the array's length */
    REC_BLOCK = 8, /* 3 x u32 */
    REC_THREAD = 11,
};
/* Bytes 64..127 of the record buffer: where a suppressed global store goes. */
enum { SCRATCH_AT = 64, SCRATCH_BYTES = 64 };

typedef struct GShadow {
    IrInst *lo, *hi;
    bool maybe_any;    /* may be the unknown range (lo > hi) */
    const char *param; /* kernel parameter it comes from, when known */
} GShadow;

typedef struct LShadow {
    IrInst *ok, *index, *count; /* ok NULL: statically inside */
} LShadow;

typedef struct Bc {
    IrModule *m;
    IrBuilder b;
    int k;               /* ranges every device function receives */
    /* per function */
    IrInst *rec;
    IrInst **any_lo, **any_hi;
    int nany;            /* how many of them to test (kernels: their own) */
    GShadow *g;          /* by instruction id */
    LShadow *l;
    IrInst **repl;       /* replaced values by id */
    IrInst **slot_lo, **slot_hi; /* shadow slots of pointer LOCALs, by id */
    bool *nocheck;       /* by id: an access or ELEM_PTR a hoisted check covers */
    int *nstores;        /* by LOCAL id: STOREs to it in the function (-1: escapes) */
    IrInst **store1, **store2; /* by LOCAL id: its first two STOREs */
    int slow;            /* > 0 inside the fallback copy of a versioned loop */
    PtrVec dd_ptr, dd_ok; /* global accesses checked since the last store to a local, IF, LOOP or CALL */
    IrInst *hoisted;     /* the loop hoist_loop is processing (not tried again) */
    uint32_t cap;
} Bc;

static IrType *
u64t(Bc *c)
{
    return ir_type_int(c->m, 64, false);
}

static IrType *
u32t(Bc *c)
{
    return ir_type_int(c->m, 32, false);
}

static bool
is_global_ptr(const IrType *t)
{
    return t && t->kind == IRT_PTR && t->space == IR_SPACE_GLOBAL;
}

static void
grow(Bc *c, uint32_t id)
{
    if (id < c->cap)
        return;
    uint32_t cap = c->cap ? c->cap : 64;
    while (cap <= id)
        cap *= 2;
    c->g = realloc(c->g, sizeof *c->g * cap);
    c->l = realloc(c->l, sizeof *c->l * cap);
    c->repl = realloc(c->repl, sizeof *c->repl * cap);
    c->slot_lo = realloc(c->slot_lo, sizeof *c->slot_lo * cap);
    c->slot_hi = realloc(c->slot_hi, sizeof *c->slot_hi * cap);
    c->nocheck = realloc(c->nocheck, sizeof *c->nocheck * cap);
    c->nstores = realloc(c->nstores, sizeof *c->nstores * cap);
    c->store1 = realloc(c->store1, sizeof *c->store1 * cap);
    c->store2 = realloc(c->store2, sizeof *c->store2 * cap);
    if (!c->g || !c->l || !c->repl || !c->slot_lo || !c->slot_hi || !c->nocheck ||
        !c->nstores || !c->store1 || !c->store2)
        ICE("out of memory in the bounds pass");
    memset(c->g + c->cap, 0, sizeof *c->g * (cap - c->cap));
    memset(c->l + c->cap, 0, sizeof *c->l * (cap - c->cap));
    memset(c->repl + c->cap, 0, sizeof *c->repl * (cap - c->cap));
    memset(c->slot_lo + c->cap, 0, sizeof *c->slot_lo * (cap - c->cap));
    memset(c->slot_hi + c->cap, 0, sizeof *c->slot_hi * (cap - c->cap));
    memset(c->nocheck + c->cap, 0, sizeof *c->nocheck * (cap - c->cap));
    memset(c->nstores + c->cap, 0, sizeof *c->nstores * (cap - c->cap));
    memset(c->store1 + c->cap, 0, sizeof *c->store1 * (cap - c->cap));
    memset(c->store2 + c->cap, 0, sizeof *c->store2 * (cap - c->cap));
    c->cap = cap;
}

static IrInst *
cu64(Bc *c, uint64_t v)
{
    return ir_const_int(&c->b, u64t(c), v);
}

static IrInst *
bin(Bc *c, IrOp op, IrInst *x, IrInst *y)
{
    return ir_binop(&c->b, op, x, y);
}

static IrInst *
select3(Bc *c, IrInst *cond, IrInst *x, IrInst *y)
{
    IrInst *ops[3] = {cond, x, y};
    return ir_emit(&c->b, IR_SELECT, x->type, 3, ops);
}

/* The unknown range. */
static GShadow
unknown_range(Bc *c)
{
    return (GShadow){cu64(c, 1), cu64(c, 0), true, NULL};
}

/* v's range; a pointer the pass gave none is unknown (made here, not
 * remembered: it must dominate only this use). */
static GShadow
gshadow(Bc *c, IrInst *v)
{
    grow(c, v->id);
    GShadow s = c->g[v->id];
    return s.lo ? s : unknown_range(c);
}

static void
set_g(Bc *c, IrInst *v, GShadow s)
{
    grow(c, v->id);
    c->g[v->id] = s;
}

/* ---- the report ---------------------------------------------------------- */

static IrInst *
rec_word(Bc *c, IrInst *rec, int word)
{
    IrInst *ops[2] = {rec, ir_const_int(&c->b, ir_type_int(c->m, 32, true), (uint64_t)word)};
    return ir_emit(&c->b, IR_PTR_ADD, rec->type, 2, ops);
}

static void
store_u64(Bc *c, IrInst *rec, int word, IrInst *v)
{
    ir_store(&c->b, rec_word(c, rec, word), ir_cast(&c->b, v, u32t(c)));
    IrInst *hi = bin(c, IR_SHR, v, cu64(c, 32));
    ir_store(&c->b, rec_word(c, rec, word + 1), ir_cast(&c->b, hi, u32t(c)));
}

/* The report, inline where an access failed (a call would keep some
 * drivers' optimisers from unrolling the loop around it): claims the
 * record with a compare-and-swap 0 -> 1; the winner writes the fields and
 * sets the state to 2. */
static void
emit_report_body(Bc *c, IrInst *rec, IrInst *site, IrInst *addr, IrInst *lo, IrInst *hi)
{
    IrType *u32 = u32t(c);
    IrInst *z = ir_const_int(&c->b, u32, 0), *one = ir_const_int(&c->b, u32, 1);
    IrInst *cas_ops[3] = {rec, z, one};
    IrInst *old = ir_emit(&c->b, IR_ATOMIC_CAS, u32, 3, cas_ops);
    IrInst *won = ir_if(&c->b, bin(c, IR_EQ, old, z));
    IrRegion *saved = c->b.r;
    c->b.r = &won->then_r;
    ir_store(&c->b, rec_word(c, rec, REC_SITE), site);
    store_u64(c, rec, REC_ADDR, addr);
    store_u64(c, rec, REC_LO, lo);
    store_u64(c, rec, REC_HI, hi);
    for (int d = 0; d < 3; d++) {
        IrInst *bid = ir_emit(&c->b, IR_BLOCK_ID, u32, 0, NULL);
        bid->imm.dim = d;
        ir_store(&c->b, rec_word(c, rec, REC_BLOCK + d), bid);
        IrInst *tid = ir_emit(&c->b, IR_THREAD_ID, u32, 0, NULL);
        tid->imm.dim = d;
        ir_store(&c->b, rec_word(c, rec, REC_THREAD + d), tid);
    }
    IrInst *x_ops[2] = {rec, ir_const_int(&c->b, u32, 2)};
    ir_emit(&c->b, IR_ATOMIC_XCHG, u32, 2, x_ops);
    c->b.r = saved;
}

/* ---- hidden parameters -------------------------------------------------------- */

/* Pointer parameters among the function's own (not the hidden ones). */
static int
pointer_params(const IrFunc *f)
{
    int n = 0;
    for (int i = 0; i < f->nparams - f->hidden_params; i++)
        n += is_global_ptr(f->params[i].type);
    return n;
}

static void
add_params(IrModule *m, IrFunc *f, int n, const IrParam *ps)
{
    int total = f->nparams + n;
    IrParam *np = arena_alloc(m->arena, sizeof *np * (size_t)total);
    IrInst **nv = arena_alloc(m->arena, sizeof *nv * (size_t)total);
    memcpy(np, f->params, sizeof *np * (size_t)f->nparams);
    memcpy(nv, f->param_values, sizeof *nv * (size_t)f->nparams);
    IrBuilder b = {.m = m, .f = f, .loc = f->loc};
    for (int i = 0; i < n; i++) {
        np[f->nparams + i] = ps[i];
        np[f->nparams + i].loc = f->loc;
        IrInst *p = ir_new_inst(&b, IR_PARAM, ps[i].type, 0, NULL);
        p->imm.index = f->nparams + i;
        nv[f->nparams + i] = p;
    }
    f->params = np;
    f->param_values = nv;
    f->nparams = total;
    f->hidden_params = n;
}

/* Kernels: extent_<param> (u64) per pointer parameter, then the record.
 * Device functions: the record, k (lo, hi) launch ranges, then (lo, hi) per
 * pointer parameter. */
static void
add_hidden(Bc *c, IrFunc *f)
{
    IrModule *m = c->m;
    IrType *u64 = u64t(c);
    IrType *recp = ir_type_ptr(m, u32t(c), IR_SPACE_GLOBAL, false);
    int np = pointer_params(f);
    int n = f->is_kernel ? np + 1 : 1 + 2 * c->k + 2 * np;
    IrParam *ps = arena_alloc(m->arena, sizeof *ps * (size_t)n);
    int at = 0;
    if (f->is_kernel) {
        for (int i = 0; i < f->nparams; i++)
            if (is_global_ptr(f->params[i].type))
                ps[at++] = (IrParam){arena_printf(m->arena, "claw_extent_%s", f->params[i].name),
                                     u64, f->loc};
        ps[at++] = (IrParam){"claw_bounds_record", recp, f->loc};
    } else {
        ps[at++] = (IrParam){"claw_bounds_record", recp, f->loc};
        for (int i = 0; i < c->k; i++) {
            ps[at++] = (IrParam){arena_printf(m->arena, "claw_range%d_lo", i), u64, f->loc};
            ps[at++] = (IrParam){arena_printf(m->arena, "claw_range%d_hi", i), u64, f->loc};
        }
        for (int i = 0; i < f->nparams; i++)
            if (is_global_ptr(f->params[i].type)) {
                ps[at++] = (IrParam){arena_printf(m->arena, "claw_lo_%s", f->params[i].name),
                                     u64, f->loc};
                ps[at++] = (IrParam){arena_printf(m->arena, "claw_hi_%s", f->params[i].name),
                                     u64, f->loc};
            }
    }
    add_params(m, f, n, ps);
}

/* ---- checks -------------------------------------------------------------- */

static uint64_t
site_new(Bc *c, IrInst *in, IrBoundsAccess acc, IrSpace space, const IrType *t,
         const char *param)
{
    IrBoundsSite *s = arena_alloc(c->m->arena, sizeof *s);
    /* Where the pointer is formed (the `[` of an index, the `.` of a field)
     * names the access best; a store's own location is its `=`. */
    SrcLoc loc = in->ops[0]->loc.line ? in->ops[0]->loc : in->loc;
    *s = (IrBoundsSite){
        .loc = loc,
        .func = c->b.f->name,
        .access = acc,
        .space = space,
        .bytes = t->size,
        .align = t->align ? t->align : 1,
        .param = param,
    };
    ptrvec_push(c->m->arena, &c->m->bounds_sites, s);
    return (uint64_t)(c->m->bounds_sites.len - 1);
}

/* Whether [a, a + n) lies in [lo, hi) and a + n does not wrap. */
static IrInst *
in_range(Bc *c, IrInst *a, IrInst *end, IrInst *lo, IrInst *hi)
{
    return bin(c, IR_AND, bin(c, IR_GE, a, lo), bin(c, IR_LE, end, hi));
}

/* The pass condition of an access through global pointer p, and the values
 * the report takes (address, lo, hi). */
static IrInst *
global_ok(Bc *c, IrInst *p, const IrType *t, IrInst **addr, GShadow *sh)
{
    *sh = gshadow(c, p);
    IrInst *a = ir_cast(&c->b, p, u64t(c));
    IrInst *end = bin(c, IR_ADD, a, cu64(c, t->size));
    IrInst *ok = in_range(c, a, end, sh->lo, sh->hi);
    if (sh->maybe_any && c->nany > 0) {
        IrInst *any = NULL;
        for (int i = 0; i < c->nany; i++) {
            IrInst *r = in_range(c, a, end, c->any_lo[i], c->any_hi[i]);
            any = any ? bin(c, IR_OR, any, r) : r;
        }
        IrInst *unknown = bin(c, IR_GT, sh->lo, sh->hi);
        ok = bin(c, IR_OR, ok, bin(c, IR_AND, unknown, any));
    }
    ok = bin(c, IR_AND, ok, bin(c, IR_GE, end, a));
    if (t->align > 1) {
        IrInst *mis = bin(c, IR_AND, a, cu64(c, t->align - 1));
        ok = bin(c, IR_AND, ok, bin(c, IR_EQ, mis, cu64(c, 0)));
    }
    *addr = a;
    return ok;
}

static void
emit_report(Bc *c, uint64_t site, IrInst *a, IrInst *lo, IrInst *hi)
{
    if (!lo) { /* shared or private: index and length, maybe 32-bit */
        lo = cu64(c, 0);
        if (a->type != u64t(c))
            a = ir_cast(&c->b, a, u64t(c));
        if (hi->type != u64t(c))
            hi = ir_cast(&c->b, hi, u64t(c));
    }
    emit_report_body(c, c->rec, ir_const_int(&c->b, u32t(c), site), a, lo, hi);
}

static IrBoundsAccess
access_kind(IrOp op)
{
    return op == IR_LOAD ? IR_BOUNDS_LOAD : op == IR_STORE ? IR_BOUNDS_STORE : IR_BOUNDS_ATOMIC;
}

/* Whether pointers a and b are the same value: the same instruction, or
 * the same pure operation of the same values, loads of a local included
 * (the caller forgets what it saw at every store to a local). */
static bool
same_value(const IrInst *a, const IrInst *b, int depth)
{
    if (a == b)
        return true;
    if (depth > 12 || a->op != b->op || a->type != b->type || a->nops != b->nops)
        return false;
    switch (a->op) {
    case IR_CONST:
        return ir_type_is_numeric(a->type) && a->type->kind == IRT_INT && a->imm.i == b->imm.i;
    case IR_THREAD_ID: case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM: case IR_GLOBAL_ID:
        return a->imm.dim == b->imm.dim;
    case IR_LOAD:
        return a->ops[0] == b->ops[0] && a->ops[0]->op == IR_LOCAL;
    case IR_FIELD_PTR:
        if (a->imm.index != b->imm.index)
            return false;
        break;
    case IR_CAST: case IR_ADD: case IR_SUB: case IR_MUL: case IR_SHL: case IR_SHR: case IR_AND:
    case IR_OR: case IR_XOR: case IR_PTR_ADD: case IR_ELEM_PTR:
        break;
    default:
        return false;
    }
    for (int i = 0; i < a->nops; i++)
        if (!same_value(a->ops[i], b->ops[i], depth + 1))
            return false;
    return true;
}

/* The check of an earlier access of the same bytes in this stretch of
 * straight-line code, or NULL. */
static IrInst *
checked_before(Bc *c, IrInst *p)
{
    for (int i = c->dd_ptr.len - 1; i >= 0; i--) {
        IrInst *q = c->dd_ptr.data[i];
        if (q->type->elem->size == p->type->elem->size &&
            q->type->elem->align == p->type->elem->align && same_value(q, p, 0))
            return c->dd_ok.data[i];
    }
    return NULL;
}

/* Appends in (a LOAD, STORE or atomic through ops[0]) guarded by its
 * check; returns what replaces its value (NULL: in itself). An access of
 * the bytes an earlier one in the same straight-line code checked reuses
 * that check and makes no report of its own: if it fails, the earlier one
 * failed and claimed the record first. */
static IrInst *
guard_access(Bc *c, IrInst *in)
{
    IrInst *p = in->ops[0];
    IrType *pt = p->type;
    const IrType *t = pt->elem;
    IrInst *ok, *a = NULL, *lo = NULL, *hi = NULL;
    uint64_t site = 0;
    bool again = false;
    if (pt->space == IR_SPACE_GLOBAL && (ok = checked_before(c, p)) != NULL) {
        again = true;
    } else if (pt->space == IR_SPACE_GLOBAL) {
        GShadow sh;
        ok = global_ok(c, p, t, &a, &sh);
        lo = sh.lo;
        hi = sh.hi;
        site = site_new(c, in, access_kind(in->op), IR_SPACE_GLOBAL, t, sh.param);
        ptrvec_push(c->m->arena, &c->dd_ptr, p);
        ptrvec_push(c->m->arena, &c->dd_ok, ok);
    } else {
        grow(c, p->id);
        LShadow ls = c->l[p->id];
        if (!ls.ok) {
            ir_region_append(c->b.r, in);
            return NULL;
        }
        ok = ls.ok;
        a = ls.index;
        lo = NULL; /* widened where the report is made */
        hi = ls.count;
        site = site_new(c, in, access_kind(in->op), pt->space, t, NULL);
    }
    /* Scalar loads, and scalar stores through global and private pointers,
     * need no branch around them: a failing one is pointed at the record's
     * scratch bytes (global) or at element 0 (its index was replaced; a
     * private store writes element 0's own value back), and a load's value
     * is replaced by zero; only the report is conditional. Shared stores
     * keep the branch: another thread may be writing element 0. */
    bool numeric = ir_type_is_numeric(t) || t->kind == IRT_BOOL;
    if (numeric && t->size <= SCRATCH_BYTES &&
        (in->op == IR_LOAD || (in->op == IR_STORE && pt->space != IR_SPACE_SHARED))) {
        if (pt->space == IR_SPACE_GLOBAL) {
            IrInst *raddr = bin(c, IR_ADD, ir_cast(&c->b, c->rec, u64t(c)), cu64(c, SCRATCH_AT));
            in->ops[0] = select3(c, ok, p, ir_cast(&c->b, raddr, pt));
        } else if (in->op == IR_STORE) {
            /* private: element 0 (the index was replaced) keeps its value;
             * the thread's own memory, so nothing else writes it meanwhile */
            in->ops[1] = select3(c, ok, in->ops[1], ir_load(&c->b, p));
        }
        ir_region_append(c->b.r, in);
        IrInst *v = NULL;
        if (in->op == IR_LOAD)
            v = select3(c, ok, in, ir_emit(&c->b, IR_ZERO, in->type, 0, NULL));
        if (again)
            return v;
        IrInst *bad = ir_if(&c->b, ir_unop(&c->b, IR_NOT, ok));
        IrRegion *saved = c->b.r;
        c->b.r = &bad->then_r;
        emit_report(c, site, a, lo, hi);
        c->b.r = saved;
        return v;
    }
    IrInst *slot = NULL;
    bool value = (ir_op_flags(in->op) & IRF_VALUE) != 0;
    if (value)
        slot = ir_local(&c->b, in->type, "claw.checked");
    IrInst *guard = ir_if(&c->b, ok);
    IrRegion *saved = c->b.r;
    c->b.r = &guard->then_r;
    ir_region_append(c->b.r, in);
    if (value)
        ir_store(&c->b, slot, in);
    c->b.r = &guard->else_r;
    if (!again)
        emit_report(c, site, a, lo, hi);
    if (value)
        ir_store(&c->b, slot, ir_emit(&c->b, IR_ZERO, in->type, 0, NULL));
    c->b.r = saved;
    return value ? ir_load(&c->b, slot) : NULL;
}

/* ELEM_PTR into a shared or private array: the index check. */
static void
check_elem(Bc *c, IrInst *in)
{
    IrInst *base = in->ops[0], *idx = in->ops[1];
    uint64_t n = base->type->elem->count;
    grow(c, base->id);
    LShadow bs = c->l[base->id];
    bool signed_idx = idx->type->kind == IRT_INT && idx->type->is_signed;
    if (idx->op == IR_CONST && idx->type->kind == IRT_INT) {
        int64_t v = signed_idx ? ir_sext(idx->imm.i, idx->type->bits) : (int64_t)idx->imm.i;
        if (v >= 0 && (uint64_t)v < n) {
            grow(c, in->id);
            c->l[in->id] = bs;
            return;
        }
    }
    /* 32-bit compares where the index and the length fit (the common case:
     * 64-bit arithmetic costs several instructions on some devices); a
     * signed index converts to a huge unsigned one when negative. */
    bool narrow = idx->type->kind == IRT_INT && idx->type->bits <= 32 && n <= UINT32_MAX &&
                  (!bs.ok || bs.index->type == u32t(c));
    IrType *it = narrow ? u32t(c) : u64t(c);
    IrInst *iv = idx->type == it ? idx : ir_cast(&c->b, idx, it);
    IrInst *nv = ir_const_int(&c->b, it, n);
    IrInst *inb = bin(c, IR_LT, iv, nv);
    in->ops[1] = select3(c, inb, idx, ir_const_int(&c->b, idx->type, 0));
    LShadow s;
    if (bs.ok) {
        IrInst *bi = bs.index, *bc = bs.count;
        if (bi->type != it) {
            bi = ir_cast(&c->b, bi, it);
            bc = ir_cast(&c->b, bc, it);
        }
        s.ok = bin(c, IR_AND, bs.ok, inb);
        s.index = select3(c, bs.ok, iv, bi);
        s.count = select3(c, bs.ok, nv, bc);
    } else {
        s.ok = inb;
        s.index = iv;
        s.count = nv;
    }
    grow(c, in->id);
    c->l[in->id] = s;
}

/* ---- the walk -------------------------------------------------------------- */

static void check_region(Bc *c, IrRegion *r);

static IrInst *
mapped(Bc *c, IrInst *v)
{
    if (!v)
        return v;
    grow(c, v->id);
    return c->repl[v->id] ? c->repl[v->id] : v;
}

/* A call: the callee's hidden arguments. */
static void
extend_call(Bc *c, IrInst *in)
{
    IrFunc *f = in->imm.callee;
    int n = in->nops + f->hidden_params;
    IrInst **ops = arena_alloc(c->m->arena, sizeof *ops * (size_t)n);
    memcpy(ops, in->ops, sizeof *ops * (size_t)in->nops);
    int at = in->nops;
    ops[at++] = c->rec;
    for (int i = 0; i < c->k; i++) {
        bool have = i < c->nany;
        ops[at++] = have ? c->any_lo[i] : cu64(c, 1);
        ops[at++] = have ? c->any_hi[i] : cu64(c, 0);
    }
    for (int i = 0; i < in->nops; i++)
        if (is_global_ptr(in->ops[i]->type)) {
            GShadow s = gshadow(c, in->ops[i]);
            ops[at++] = s.lo;
            ops[at++] = s.hi;
        }
    if (at != n)
        ICE("call of @%s: %d hidden arguments, expected %d", f->name, at - in->nops,
            f->hidden_params);
    in->ops = ops;
    in->nops = n;
}

static void check_inst(Bc *c, IrInst *in);

/* ---- hoisting checks out of counted loops ------------------------------------ */

/* A `for` loop (compiler/lower.c) is a LOOP whose continuing region is
 *     x = load i; c = ge x, L; n = add x, S; store i, n   break_if c
 * with L and S defined before it, and i stored only there and once before
 * the loop. Its body then sees i = v0, v0 + S, ... while the previous value
 * was below L: every value lies in [v0, max(v0, L + S - 1)] as long as
 * L + S - 1 fits i's type (no add wrapped) and S is not negative.
 *
 * For every access inside such a loop whose address or index is built from
 * the loop variables of it and of the counted loops inside it, and from
 * values that do not change in the loop, hoist_loop computes, before the
 * loop, an interval [lo, hi] (u64) that holds every value the index takes,
 * by interval arithmetic over ADD SUB MUL SHL DIV REM SHR AND MIN MAX SELECT
 * CAST, together with the condition that no step of it wraps (every value
 * of a node stays in [0, its type's largest value]). The access's check of
 * its whole range (first and last element) is made once, before the loop.
 * Where all pass, a copy of the loop runs without those checks (the other
 * accesses keep theirs); where one fails, the original loop runs with every
 * check, so the first failing access is reported exactly as without
 * hoisting, after the same side effects. A condition the compiler can
 * decide is folded: a loop over a constant range of a private or shared
 * array (an @unroll loop's index) gets no check and no copy at all. */

typedef struct Itv {
    IrInst *lo, *hi; /* u64 */
    IrInst *ok;      /* bool: the interval holds (NULL: always) */
} Itv;

typedef struct Hoist {
    Bc *c;
    IrInst *loop;
    uint32_t n;         /* ids below n are the function's before hoisting */
    bool *inside;       /* by id: defined in the loop */
    bool *stored;       /* by LOCAL id: stored in the loop */
    IrInst **ivloop;    /* by LOCAL id: the counted loop it counts */
    IrInst **ivinit;    /* by LOCAL id: its value before that loop (inner loops) */
    Itv *memo;          /* by id */
    uint8_t *state;     /* by id: 0 not yet, 1 busy, 2 done, 3 not an interval */
    PtrVec cands;       /* accesses and ELEM_PTRs to hoist */
    PtrVec seen;        /* STOREs on the path to the current instruction */
    PtrVec active;      /* loop variables of the counted loops whose body we are in */
    bool *ivload;       /* by id: a LOAD of such a variable in its loop's body */
    bool calls_private; /* a CALL in the loop takes a private pointer */
} Hoist;

static IrInst *
cbool(Bc *c, bool v)
{
    return ir_const_int(&c->b, ir_type_bool(c->m), v);
}

static bool
is_access(IrOp op)
{
    return op == IR_LOAD || op == IR_STORE || (op >= IR_ATOMIC_ADD && op <= IR_ATOMIC_CAS);
}

static bool
cval(const IrInst *v, uint64_t *out)
{
    if (v->op != IR_CONST || (v->type->kind != IRT_INT && v->type->kind != IRT_BOOL))
        return false;
    *out = v->imm.i;
    return true;
}

/* u64 arithmetic and compares (unsigned), folded when both are constants. */
static IrInst *
hop(Bc *c, IrOp op, IrInst *a, IrInst *b)
{
    uint64_t x, y;
    bool ca = cval(a, &x), cb = cval(b, &y);
    if (!ca && cb && ((y == 0 && (op == IR_ADD || op == IR_SUB)) || (y == 1 && (op == IR_MUL || op == IR_DIV))))
        return a; /* x + 0, x - 0, x * 1, x / 1 */
    if (ca && cb) {
        switch (op) {
        case IR_ADD: return cu64(c, x + y);
        case IR_SUB: return cu64(c, x - y);
        case IR_MUL: return cu64(c, x * y);
        case IR_DIV: if (y) return cu64(c, x / y); break;
        case IR_SHR: return cu64(c, y < 64 ? x >> y : 0);
        case IR_AND: return a->type->kind == IRT_BOOL ? cbool(c, x && y) : cu64(c, x & y);
        case IR_MIN: return cu64(c, x < y ? x : y);
        case IR_MAX: return cu64(c, x > y ? x : y);
        case IR_LE: return cbool(c, x <= y);
        case IR_LT: return cbool(c, x < y);
        case IR_GE: return cbool(c, x >= y);
        case IR_EQ: return cbool(c, x == y);
        default: break;
        }
    }
    return bin(c, op, a, b);
}

/* cond ? x : y, folded for a constant cond. */
static IrInst *
hsel(Bc *c, IrInst *cond, IrInst *x, IrInst *y)
{
    uint64_t v;
    if (cval(cond, &v))
        return v ? x : y;
    return x == y ? x : select3(c, cond, x, y);
}

/* a && b, where NULL is true. */
static IrInst *
hand(Bc *c, IrInst *a, IrInst *b)
{
    uint64_t v;
    if (!a || (cval(a, &v) && v))
        return b;
    if (!b || (cval(b, &v) && v))
        return a;
    if (cval(a, &v))
        return a;
    if (cval(b, &v))
        return b;
    return bin(c, IR_AND, a, b);
}

static bool
is_false(const IrInst *b)
{
    uint64_t v;
    return b && cval(b, &v) && !v;
}

/* The largest value a node of type t may take in an interval. */
static uint64_t
tmax(const IrType *t)
{
    if (t->bits >= 64)
        return INT64_MAX;
    return t->is_signed ? ((uint64_t)1 << (t->bits - 1)) - 1 : ((uint64_t)1 << t->bits) - 1;
}

static bool
int_type(const IrType *t)
{
    return t && t->kind == IRT_INT && t->bits >= 1 && t->bits <= 64;
}

/* The value v (of type t, already computed here) as an interval. */
static Itv
point(Bc *c, IrInst *v, const IrType *t)
{
    uint64_t k;
    IrInst *w;
    if (cval(v, &k)) /* also a constant inside the loop: made anew here */
        w = cu64(c, t->is_signed ? (uint64_t)ir_sext(k, t->bits) : k);
    else
        w = v->type == u64t(c) ? v : ir_cast(&c->b, v, u64t(c));
    IrInst *ok = NULL;
    if (t->is_signed || t->bits >= 64)
        ok = hop(c, IR_LE, w, cu64(c, tmax(t)));
    return (Itv){w, w, ok};
}

static Itv *itv(Hoist *h, IrInst *v);

/* The values of the loop variable stored in LOCAL l. */
static Itv *
iv_itv(Hoist *h, IrInst *load, IrInst *l)
{
    Bc *c = h->c;
    IrInst *loop = h->ivloop[l->id];
    IrInst *cmp = loop->break_if, *add = loop->cont_r.insts[2];
    const IrType *t = load->type;
    Itv *lim = itv(h, cmp->ops[1]), *step = itv(h, add->ops[1]);
    if (!lim || !step)
        return NULL;
    Itv init;
    uint64_t k0;
    if (loop == h->loop) {
        /* the value here, before the loop; a constant start (the other
         * store of l is its only one) folds */
        IrInst *st = c->store1[l->id] == loop->cont_r.insts[3] ? c->store2[l->id] : c->store1[l->id];
        init = point(c, cval(st->ops[1], &k0) ? st->ops[1] : ir_load(&c->b, l), t);
    } else {
        Itv *i = itv(h, h->ivinit[l->id]);
        if (!i)
            return NULL;
        init = *i;
    }
    IrInst *bound = hop(c, IR_SUB, hop(c, IR_ADD, lim->hi, step->hi), cu64(c, 1));
    Itv *r = &h->memo[load->id];
    r->lo = init.lo;
    r->ok = hand(c, hand(c, init.ok, hand(c, lim->ok, step->ok)),
                 hop(c, IR_LE, bound, cu64(c, tmax(t))));
    if (init.lo == init.hi && step->lo == step->hi) {
        /* one start and step: the last value is exactly the first of
         * v0 + k S at or past lim (v0 itself when v0 >= lim); S = 0 gives
         * v0, as the loop then never moves */
        IrInst *v0 = init.lo, *s = step->lo;
        IrInst *gap = hsel(c, hop(c, IR_LT, v0, lim->hi), hop(c, IR_SUB, lim->hi, v0), cu64(c, 0));
        IrInst *k = hop(c, IR_DIV, hop(c, IR_SUB, hop(c, IR_ADD, gap, s), cu64(c, 1)),
                        hop(c, IR_MAX, s, cu64(c, 1)));
        r->hi = hop(c, IR_ADD, v0, hop(c, IR_MUL, k, s));
    } else {
        r->hi = hop(c, IR_MAX, init.hi, bound);
    }
    return r;
}

/* Interval arithmetic on one node, see above. */
static bool
itv_node(Hoist *h, IrInst *v, Itv *r)
{
    Bc *c = h->c;
    const IrType *t = v->type;
    uint64_t k, tm = tmax(t);
    if (v->id >= h->n || !h->inside[v->id]) {
        /* a `for` limit clamped by a constant condition folds */
        if (v->op == IR_SELECT && cval(v->ops[0], &k)) {
            Itv *x = itv(h, v->ops[k ? 1 : 2]);
            if (x) {
                *r = *x;
                return true;
            }
        }
        *r = point(c, mapped(c, v), t);
        return true;
    }
    IrInst *in = NULL;
    Itv *a = NULL, *b = NULL;
    switch (v->op) {
    case IR_CONST:
        *r = point(c, v, t);
        return true;
    case IR_THREAD_ID: case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM:
    case IR_GLOBAL_ID: case IR_LANE_ID: case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID:
    case IR_NUM_SUBGROUPS:
        in = ir_emit(&c->b, v->op, v->type, 0, NULL);
        in->imm = v->imm;
        *r = point(c, in, t);
        return true;
    case IR_LOAD: {
        IrInst *l = v->ops[0];
        if (l->op != IR_LOCAL || c->nstores[l->id] < 0)
            return false;
        if (h->ivloop[l->id]) {
            if (!h->ivload[v->id]) /* read before or after its loop: no loop value */
                return false;
            Itv *i = iv_itv(h, v, l);
            if (!i)
                return false;
            *r = *i;
            return true;
        }
        if (!h->stored[l->id] && !h->calls_private) {
            *r = point(c, ir_load(&c->b, l), t);
            return true;
        }
        /* a `let`: its one store, in the loop, precedes every load */
        if (c->nstores[l->id] != 1 || !int_type(c->store1[l->id]->ops[1]->type))
            return false;
        a = itv(h, c->store1[l->id]->ops[1]);
        if (!a)
            return false;
        *r = *a;
        return true;
    }
    case IR_ADD: case IR_SUB: case IR_MUL: case IR_MIN: case IR_MAX:
        a = itv(h, v->ops[0]);
        b = a ? itv(h, v->ops[1]) : NULL;
        if (!b)
            return false;
        r->ok = hand(c, a->ok, b->ok);
        if (a->lo == a->hi && b->lo == b->hi && (v->op != IR_MUL || t->bits <= 32)) {
            /* one value: computed once (a SUB's needs no wrap either) */
            IrOp op = v->op;
            if (op == IR_SUB)
                r->ok = hand(c, r->ok, hop(c, IR_GE, a->lo, b->lo));
            r->lo = r->hi = hop(c, op, a->lo, b->lo);
            if (op != IR_MIN && op != IR_MAX && op != IR_SUB)
                r->ok = hand(c, r->ok, hop(c, IR_LE, r->hi, cu64(c, tm)));
            return true;
        }
        if (v->op == IR_ADD) {
            r->lo = hop(c, IR_ADD, a->lo, b->lo);
            r->hi = hop(c, IR_ADD, a->hi, b->hi);
        } else if (v->op == IR_SUB) {
            r->ok = hand(c, r->ok, hop(c, IR_GE, a->lo, b->hi));
            r->lo = hop(c, IR_SUB, a->lo, b->hi);
            r->hi = hop(c, IR_SUB, a->hi, b->lo);
        } else if (v->op == IR_MUL) {
            if (t->bits > 32) { /* 64-bit: by a constant only, so hi * k cannot wrap */
                IrInst *kv = cval(v->ops[1], &k) ? v->ops[1] : cval(v->ops[0], &k) ? v->ops[0] : NULL;
                if (!kv || k == 0 || k > INT64_MAX)
                    return false;
                Itv *x = kv == v->ops[1] ? a : b;
                r->ok = hand(c, r->ok, hop(c, IR_LE, x->hi, cu64(c, INT64_MAX / k)));
                r->lo = hop(c, IR_MUL, x->lo, cu64(c, k));
                r->hi = hop(c, IR_MUL, x->hi, cu64(c, k));
                return true;
            }
            r->lo = hop(c, IR_MUL, a->lo, b->lo);
            r->hi = hop(c, IR_MUL, a->hi, b->hi);
        } else {
            r->lo = hop(c, v->op, a->lo, b->lo);
            r->hi = hop(c, v->op, a->hi, b->hi);
            return true;
        }
        r->ok = hand(c, r->ok, hop(c, IR_LE, r->hi, cu64(c, tm)));
        return true;
    case IR_SHL: case IR_DIV: case IR_REM: case IR_SHR: case IR_AND:
        /* by a constant */
        if (!cval(v->ops[1], &k))
            return false;
        if (t->is_signed)
            k = (uint64_t)ir_sext(k, t->bits);
        a = itv(h, v->ops[0]);
        if (!a)
            return false;
        r->ok = a->ok;
        if (v->op == IR_SHL) {
            if (k >= 32 || t->bits > 32)
                return false;
            r->lo = hop(c, IR_MUL, a->lo, cu64(c, (uint64_t)1 << k));
            r->hi = hop(c, IR_MUL, a->hi, cu64(c, (uint64_t)1 << k));
            r->ok = hand(c, r->ok, hop(c, IR_LE, r->hi, cu64(c, tm)));
        } else if (v->op == IR_DIV || v->op == IR_SHR) {
            if (v->op == IR_DIV ? k == 0 || k > tm : k >= t->bits)
                return false;
            r->lo = hop(c, v->op, a->lo, cu64(c, k));
            r->hi = hop(c, v->op, a->hi, cu64(c, k));
        } else { /* x % k in [0, k - 1], x & k in [0, k]; neither above x */
            if (k > tm || (v->op == IR_REM && k == 0))
                return false;
            r->lo = cu64(c, 0);
            r->hi = hop(c, IR_MIN, a->hi, cu64(c, v->op == IR_REM ? k - 1 : k));
        }
        return true;
    case IR_SELECT:
        a = itv(h, v->ops[1]);
        b = a ? itv(h, v->ops[2]) : NULL;
        if (!b)
            return false;
        if (cval(v->ops[0], &k)) {
            *r = k ? *a : *b;
            return true;
        }
        if (v->ops[0]->id >= h->n || !h->inside[v->ops[0]->id]) {
            /* a condition fixed in the loop (a `for` limit's clamp) picks */
            IrInst *sc = mapped(c, v->ops[0]);
            r->lo = a->lo == b->lo ? a->lo : select3(c, sc, a->lo, b->lo);
            r->hi = a->hi == b->hi ? a->hi : select3(c, sc, a->hi, b->hi);
            r->ok = !a->ok && !b->ok ? NULL
                    : select3(c, sc, a->ok ? a->ok : cbool(c, true), b->ok ? b->ok : cbool(c, true));
            return true;
        }
        r->lo = hop(c, IR_MIN, a->lo, b->lo);
        r->hi = hop(c, IR_MAX, a->hi, b->hi);
        r->ok = hand(c, a->ok, b->ok);
        return true;
    case IR_CAST:
        if (!int_type(v->ops[0]->type))
            return false;
        a = itv(h, v->ops[0]);
        if (!a)
            return false;
        *r = *a;
        if (tmax(v->ops[0]->type) > tm)
            r->ok = hand(c, r->ok, hop(c, IR_LE, r->hi, cu64(c, tm)));
        return true;
    default:
        return false;
    }
}

static Itv *
itv(Hoist *h, IrInst *v)
{
    if (!int_type(v->type))
        return NULL;
    if (v->id < h->n) {
        if (h->state[v->id] == 2)
            return &h->memo[v->id];
        if (h->state[v->id] != 0)
            return NULL; /* busy (a cycle) or not an interval */
        h->state[v->id] = 1;
    }
    Itv r = {0};
    bool ok = itv_node(h, v, &r);
    if (v->id >= h->n)
        return NULL; /* made by this pass: never an operand here */
    h->state[v->id] = ok ? 2 : 3;
    h->memo[v->id] = r;
    return ok ? &h->memo[v->id] : NULL;
}

/* Whether [a, end) lies in sh's range (or, for a pointer of unknown
 * origin, in one of the launch's). */
static IrInst *
range_ok(Bc *c, IrInst *a, IrInst *end, const GShadow *sh)
{
    IrInst *ok = in_range(c, a, end, sh->lo, sh->hi);
    if (sh->maybe_any && c->nany > 0) {
        IrInst *any = NULL;
        for (int i = 0; i < c->nany; i++) {
            IrInst *r = in_range(c, a, end, c->any_lo[i], c->any_hi[i]);
            any = any ? bin(c, IR_OR, any, r) : r;
        }
        IrInst *unknown = bin(c, IR_GT, sh->lo, sh->hi);
        ok = bin(c, IR_OR, ok, bin(c, IR_AND, unknown, any));
    }
    return ok;
}

/* The condition, before the loop, under which candidate x (a global access
 * through PTR_ADD, or an ELEM_PTR into a shared or private array) passes
 * in every iteration; NULL when it cannot be hoisted. */
static IrInst *
hoisted_ok(Hoist *h, IrInst *x)
{
    Bc *c = h->c;
    if (x->op == IR_ELEM_PTR) {
        Itv *i = itv(h, x->ops[1]);
        if (!i)
            return NULL;
        uint64_t n = x->ops[0]->type->elem->count;
        return hand(c, i->ok, hop(c, IR_LT, i->hi, cu64(c, n)));
    }
    IrInst *p = x->ops[0], *base = p->ops[0];
    const IrType *t = p->type->elem;
    GShadow sh;
    IrInst *bv;
    if (base->id >= h->n || !h->inside[base->id]) {
        bv = mapped(c, base);
        sh = gshadow(c, bv);
    } else if (base->op == IR_LOAD && base->ops[0]->op == IR_LOCAL &&
               c->slot_lo[base->ops[0]->id] && !h->stored[base->ops[0]->id] &&
               !h->calls_private) {
        IrInst *l = base->ops[0];
        bv = ir_load(&c->b, l);
        sh = (GShadow){ir_load(&c->b, c->slot_lo[l->id]), ir_load(&c->b, c->slot_hi[l->id]), true,
                       NULL};
    } else {
        return NULL;
    }
    Itv *o = itv(h, p->ops[1]);
    if (!o)
        return NULL;
    uint64_t size = t->size;
    IrInst *a0 = ir_cast(&c->b, bv, u64t(c));
    /* the last element's end, size * hi + size, stays below 2^64 */
    IrInst *ok = hand(c, o->ok, hop(c, IR_LE, o->hi, cu64(c, INT64_MAX / size - 1)));
    IrInst *first = hop(c, IR_ADD, a0, hop(c, IR_MUL, o->lo, cu64(c, size)));
    IrInst *end = hop(c, IR_ADD, a0, hop(c, IR_MUL, hop(c, IR_ADD, o->hi, cu64(c, 1)), cu64(c, size)));
    ok = hand(c, ok, hop(c, IR_GE, end, a0));
    ok = hand(c, ok, range_ok(c, first, end, &sh));
    if (t->align > 1) /* every element is aligned as the pointer is */
        ok = hand(c, ok, hop(c, IR_EQ, hop(c, IR_AND, a0, cu64(c, t->align - 1)), cu64(c, 0)));
    return ok;
}

/* The continuing region of a `for` loop: its loop variable, or NULL. */
static IrInst *
counted(Bc *c, IrInst *loop)
{
    IrRegion *r = &loop->cont_r;
    if (r->len != 4 || loop->break_if != r->insts[1])
        return NULL;
    IrInst *x = r->insts[0], *cmp = r->insts[1], *add = r->insts[2], *st = r->insts[3];
    if (x->op != IR_LOAD || x->ops[0]->op != IR_LOCAL || !int_type(x->type))
        return NULL;
    IrInst *l = x->ops[0];
    grow(c, l->id);
    if (cmp->op != IR_GE || cmp->ops[0] != x || add->op != IR_ADD || add->ops[0] != x ||
        st->op != IR_STORE || st->ops[0] != l || st->ops[1] != add || c->nstores[l->id] != 2)
        return NULL;
    return l;
}

static void
prep_region(Hoist *h, IrRegion *r);

static void
prep_inst(Hoist *h, IrInst *in)
{
    Bc *c = h->c;
    h->inside[in->id] = true;
    switch (in->op) {
    case IR_LOAD:
        for (int i = 0; i < h->active.len; i++)
            h->ivload[in->id] |= in->ops[0] == h->active.data[i];
        break;
    case IR_STORE:
        if (in->ops[0]->op == IR_LOCAL)
            h->stored[in->ops[0]->id] = true;
        ptrvec_push(c->m->arena, &h->seen, in);
        break;
    case IR_CALL:
        for (int i = 0; i < in->nops; i++)
            if (in->ops[i]->type->kind == IRT_PTR && in->ops[i]->type->space == IR_SPACE_PRIVATE)
                h->calls_private = true;
        break;
    case IR_LOOP: {
        IrInst *l = counted(c, in);
        if (l) {
            IrInst *init = c->store1[l->id] == in->cont_r.insts[3] ? c->store2[l->id] : c->store1[l->id];
            bool before = in == h->loop;
            for (int i = 0; i < h->seen.len && !before; i++)
                before = h->seen.data[i] == init;
            if (before) {
                h->ivloop[l->id] = in;
                h->ivinit[l->id] = init->ops[1];
            } else {
                l = NULL;
            }
        }
        if (l)
            ptrvec_push(c->m->arena, &h->active, l);
        prep_region(h, &in->body_r);
        if (l)
            h->active.len--;
        prep_region(h, &in->cont_r);
        break;
    }
    case IR_IF:
        prep_region(h, &in->then_r);
        prep_region(h, &in->else_r);
        break;
    case IR_ELEM_PTR:
        if ((in->ops[0]->op == IR_LOCAL || in->ops[0]->op == IR_SHARED) &&
            in->ops[0]->type->elem->kind == IRT_ARRAY && in->ops[0]->type->space != IR_SPACE_GLOBAL &&
            !c->nocheck[in->id])
            ptrvec_push(c->m->arena, &h->cands, in);
        break;
    default:
        break;
    }
    if (is_access(in->op) && is_global_ptr(in->ops[0]->type) && in->ops[0]->op == IR_PTR_ADD && !c->nocheck[in->id]) {
        const IrType *t = in->ops[0]->type->elem;
        if (t->size > 0 && t->size <= 4096 && t->size % (t->align ? t->align : 1) == 0)
            ptrvec_push(c->m->arena, &h->cands, in);
    }
}

static void
prep_region(Hoist *h, IrRegion *r)
{
    int mark = h->seen.len;
    for (int i = 0; i < r->len; i++)
        prep_inst(h, r->insts[i]);
    h->seen.len = mark;
}

/* ---- copying a loop --------------------------------------------------------- */

static void clone_region(Bc *c, IrInst **map, uint32_t n, const IrRegion *from, IrRegion *to);

static IrInst *
clone_inst(Bc *c, IrInst **map, uint32_t n, IrInst *in)
{
    IrInst **ops = in->nops ? arena_alloc(c->m->arena, sizeof *ops * (size_t)in->nops) : NULL;
    for (int i = 0; i < in->nops; i++) {
        IrInst *o = in->ops[i];
        ops[i] = o->id < n && map[o->id] ? map[o->id] : o;
    }
    IrBuilder b = c->b;
    b.loc = in->loc;
    IrInst *out = ir_new_inst(&b, in->op, in->type, in->nops, ops);
    out->imm = in->imm;
    out->unroll = in->unroll;
    out->name = in->name;
    out->exact = in->exact;
    map[in->id] = out;
    clone_region(c, map, n, &in->then_r, &out->then_r);
    clone_region(c, map, n, &in->else_r, &out->else_r);
    clone_region(c, map, n, &in->body_r, &out->body_r);
    clone_region(c, map, n, &in->cont_r, &out->cont_r);
    if (in->break_if)
        out->break_if = map[in->break_if->id];
    return out;
}

static void
clone_region(Bc *c, IrInst **map, uint32_t n, const IrRegion *from, IrRegion *to)
{
    *to = (IrRegion){0};
    for (int i = 0; i < from->len; i++)
        ir_region_append(to, clone_inst(c, map, n, from->insts[i]));
}

/* ---- versioning ------------------------------------------------------------------ */

/* Hoists what it can of loop's checks (see above) and appends the loop,
 * checked, to the current region; false when it hoisted nothing (the
 * caller then checks the loop as usual). */
static bool
hoist_loop(Bc *c, IrInst *loop)
{
    if (c->slow > 0 || c->hoisted == loop || !counted(c, loop))
        return false;
    IrFunc *f = c->b.f;
    uint32_t n = f->next_id;
    grow(c, n);
    Hoist h = {.c = c, .loop = loop, .n = n};
    h.inside = calloc(n, sizeof *h.inside);
    h.stored = calloc(n, sizeof *h.stored);
    h.ivloop = calloc(n, sizeof *h.ivloop);
    h.ivinit = calloc(n, sizeof *h.ivinit);
    h.memo = calloc(n, sizeof *h.memo);
    h.state = calloc(n, sizeof *h.state);
    h.ivload = calloc(n, sizeof *h.ivload);
    if (!h.inside || !h.stored || !h.ivloop || !h.ivinit || !h.memo || !h.state || !h.ivload)
        ICE("out of memory in the bounds pass");
    prep_inst(&h, loop);
    IrInst *cond = NULL;
    PtrVec done = {0};
    for (int i = 0; i < h.cands.len; i++) {
        IrInst *x = h.cands.data[i];
        IrInst *ok = hoisted_ok(&h, x);
        if (!ok || is_false(ok))
            continue;
        cond = hand(c, cond, ok);
        ptrvec_push(c->m->arena, &done, x);
    }
    free(h.inside);
    free(h.stored);
    free(h.ivloop);
    free(h.ivinit);
    free(h.memo);
    free(h.state);
    free(h.ivload);
    if (done.len == 0)
        return false;
    c->hoisted = loop;
    uint64_t v;
    if (!cond || (cval(cond, &v) && v)) { /* decided here: the loop needs no copy */
        for (int i = 0; i < done.len; i++)
            c->nocheck[((IrInst *)done.data[i])->id] = true;
        check_inst(c, loop);
        c->hoisted = NULL;
        return true;
    }
    IrInst **map = calloc(n, sizeof *map);
    if (!map)
        ICE("out of memory in the bounds pass");
    IrInst *fast = clone_inst(c, map, n, loop);
    grow(c, f->next_id);
    for (int i = 0; i < done.len; i++)
        c->nocheck[map[((IrInst *)done.data[i])->id]->id] = true;
    free(map);
    IrInst *sel = ir_if(&c->b, cond);
    ir_region_append(&sel->then_r, fast);
    ir_region_append(&sel->else_r, loop);
    IrRegion *saved = c->b.r;
    c->hoisted = fast;
    c->dd_ptr.len = c->dd_ok.len = 0;
    check_region(c, &sel->then_r);
    c->hoisted = NULL;
    c->slow++;
    c->dd_ptr.len = c->dd_ok.len = 0;
    check_region(c, &sel->else_r);
    c->slow--;
    c->b.r = saved;
    return true;
}

static void
check_inst(Bc *c, IrInst *in)
{
    for (int i = 0; i < in->nops; i++)
        in->ops[i] = mapped(c, in->ops[i]);
    c->b.loc = in->loc;
    grow(c, in->id);
    /* a store to a local may change the values checked_before compares;
     * nested regions start afresh and their checks do not outlive them */
    bool region = in->op == IR_IF || in->op == IR_LOOP;
    if (region || in->op == IR_CALL || (in->op == IR_STORE && in->ops[0]->op == IR_LOCAL))
        c->dd_ptr.len = c->dd_ok.len = 0;
    IrInst *repl = NULL;
    bool appended = false;
    switch (in->op) {
    case IR_LOAD:
    case IR_STORE:
    case IR_ATOMIC_ADD: case IR_ATOMIC_SUB: case IR_ATOMIC_MIN: case IR_ATOMIC_MAX:
    case IR_ATOMIC_AND: case IR_ATOMIC_OR: case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG:
    case IR_ATOMIC_CAS: {
        IrInst *p = in->ops[0];
        IrInst *slot = p->op == IR_LOCAL ? p : NULL;
        if (slot && in->op == IR_STORE && c->slot_lo[slot->id]) {
            GShadow s = gshadow(c, in->ops[1]);
            ir_store(&c->b, c->slot_lo[slot->id], s.lo);
            ir_store(&c->b, c->slot_hi[slot->id], s.hi);
        }
        if (!slot && !c->nocheck[in->id]) {
            repl = guard_access(c, in);
            appended = true;
        }
        if (in->op == IR_LOAD && is_global_ptr(in->type)) {
            if (!appended) {
                ir_region_append(c->b.r, in);
                appended = true;
            }
            IrInst *v = repl ? repl : in;
            if (slot && c->slot_lo[slot->id])
                set_g(c, v,
                      (GShadow){ir_load(&c->b, c->slot_lo[slot->id]),
                                ir_load(&c->b, c->slot_hi[slot->id]), true, NULL});
            else
                set_g(c, v, unknown_range(c));
        }
        break;
    }
    case IR_ELEM_PTR:
        if (in->ops[0]->type->space != IR_SPACE_GLOBAL) {
            if (!c->nocheck[in->id])
                check_elem(c, in);
        }
        else
            set_g(c, in, gshadow(c, in->ops[0]));
        break;
    case IR_FIELD_PTR:
    case IR_PTR_ADD:
        if (in->ops[0]->type->space != IR_SPACE_GLOBAL) {
            grow(c, in->ops[0]->id);
            grow(c, in->id);
            c->l[in->id] = c->l[in->ops[0]->id];
        } else {
            set_g(c, in, gshadow(c, in->ops[0]));
        }
        break;
    case IR_CAST:
        if (is_global_ptr(in->type)) {
            if (is_global_ptr(in->ops[0]->type))
                set_g(c, in, gshadow(c, in->ops[0]));
            else
                set_g(c, in, unknown_range(c));
        }
        break;
    case IR_SELECT:
        if (is_global_ptr(in->type)) {
            ir_region_append(c->b.r, in);
            appended = true;
            GShadow x = gshadow(c, in->ops[1]), y = gshadow(c, in->ops[2]);
            GShadow s = {select3(c, in->ops[0], x.lo, y.lo), select3(c, in->ops[0], x.hi, y.hi),
                         x.maybe_any || y.maybe_any,
                         x.param == y.param ? x.param : NULL};
            set_g(c, in, s);
        }
        break;
    case IR_CALL:
        extend_call(c, in);
        if (is_global_ptr(in->type)) {
            ir_region_append(c->b.r, in);
            appended = true;
            set_g(c, in, unknown_range(c));
        }
        break;
    case IR_IF:
        check_region(c, &in->then_r);
        check_region(c, &in->else_r);
        break;
    case IR_LOOP:
        if (hoist_loop(c, in)) {
            c->dd_ptr.len = c->dd_ok.len = 0;
            return;
        }
        check_region(c, &in->body_r);
        check_region(c, &in->cont_r);
        in->break_if = mapped(c, in->break_if);
        break;
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_EXTRACT:
        if (is_global_ptr(in->type)) {
            ir_region_append(c->b.r, in);
            appended = true;
            set_g(c, in, unknown_range(c));
        }
        break;
    case IR_BITCAST: /* float <-> int bits only (ops.def), never a pointer */
    case IR_PARAM: case IR_ADD: case IR_SUB: case IR_MUL: case IR_DIV: case IR_REM:
    case IR_AND: case IR_OR: case IR_XOR: case IR_SHL: case IR_SHR: case IR_NEG: case IR_NOT:
    case IR_EQ: case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_LOCAL:
    case IR_SHARED: case IR_INSERT: case IR_COMPOSITE: case IR_THREAD_ID: case IR_BLOCK_ID:
    case IR_BLOCK_DIM: case IR_GRID_DIM: case IR_GLOBAL_ID: case IR_BARRIER: case IR_SQRT:
    case IR_RSQRT: case IR_EXP: case IR_EXP2: case IR_LOG: case IR_LOG2: case IR_SIN:
    case IR_COS: case IR_TAN: case IR_TANH: case IR_POW: case IR_FLOOR: case IR_CEIL:
    case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS: case IR_MIN: case IR_MAX: case IR_CLAMP:
    case IR_FMA: case IR_LANE_ID: case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID:
    case IR_NUM_SUBGROUPS: case IR_SHUFFLE: case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM:
    case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX: case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN:
    case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL:
    case IR_BREAK: case IR_CONTINUE: case IR_RETURN:
        break;
    /* matrix tiles (docs/matrix.md) are lowered per target, after this pass,
     * so compiler/main.c refuses -fsanitize=bounds on a module with them;
     * no matrix op yields a pointer */
    IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_MAT_SG_SIZE:
        break;
    case IR_NUM_OPS: UNREACHABLE();
    }
    if (!appended)
        ir_region_append(c->b.r, in);
    if (repl)
        c->repl[in->id] = repl;
    if (region)
        c->dd_ptr.len = c->dd_ok.len = 0;
}

static void
check_region(Bc *c, IrRegion *r)
{
    IrRegion out = {0};
    IrRegion *saved = c->b.r;
    for (int i = 0; i < r->len; i++) {
        c->b.r = &out;
        check_inst(c, r->insts[i]);
    }
    c->b.r = saved;
    *r = out;
}

static void
free_maps(Bc *c)
{
    free(c->g);
    free(c->l);
    free(c->repl);
    free(c->slot_lo);
    free(c->slot_hi);
    free(c->nocheck);
    free(c->nstores);
    free(c->store1);
    free(c->store2);
    c->g = NULL;
    c->l = NULL;
    c->repl = NULL;
    c->slot_lo = c->slot_hi = NULL;
    c->nocheck = NULL;
    c->nstores = NULL;
    c->store1 = c->store2 = NULL;
    c->cap = 0;
}

/* The STOREs to each LOCAL, for hoist_loop; -1 for a LOCAL used in any
 * other way than as the pointer of a LOAD or STORE (its address escapes). */
static void
count_stores(Bc *c, const IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        for (int j = 0; j < in->nops; j++) {
            IrInst *l = in->ops[j];
            if (l->op != IR_LOCAL)
                continue;
            grow(c, l->id);
            bool plain = j == 0 && (in->op == IR_LOAD || in->op == IR_STORE);
            if (!plain)
                c->nstores[l->id] = -1;
            else if (in->op == IR_STORE && c->nstores[l->id] >= 0) {
                int k = c->nstores[l->id]++;
                if (k == 0)
                    c->store1[l->id] = in;
                else if (k == 1)
                    c->store2[l->id] = in;
            }
        }
        count_stores(c, &in->then_r);
        count_stores(c, &in->else_r);
        count_stores(c, &in->body_r);
        count_stores(c, &in->cont_r);
    }
}

static void
check_func(Bc *c, IrFunc *f)
{
    IrModule *m = c->m;
    c->b = (IrBuilder){.m = m, .f = f, .loc = f->loc};
    free_maps(c);
    c->dd_ptr.len = c->dd_ok.len = 0;
    grow(c, f->next_id + 16);
    count_stores(c, &f->body);
    IrRegion pro = {0};
    c->b.r = &pro;
    int user = f->nparams - f->hidden_params;
    int np = pointer_params(f);
    c->any_lo = arena_alloc(m->arena, sizeof *c->any_lo * (size_t)(c->k + 1));
    c->any_hi = arena_alloc(m->arena, sizeof *c->any_hi * (size_t)(c->k + 1));
    if (f->is_kernel) {
        c->rec = f->param_values[user + np];
        int j = 0;
        for (int i = 0; i < user; i++) {
            if (!is_global_ptr(f->params[i].type))
                continue;
            IrInst *p = f->param_values[i];
            IrInst *lo = ir_cast(&c->b, p, u64t(c));
            IrInst *hi = bin(c, IR_ADD, lo, f->param_values[user + j]);
            set_g(c, p, (GShadow){lo, hi, false, f->params[i].name});
            c->any_lo[j] = lo;
            c->any_hi[j] = hi;
            j++;
        }
        c->nany = j;
    } else {
        c->rec = f->param_values[user];
        for (int i = 0; i < c->k; i++) {
            c->any_lo[i] = f->param_values[user + 1 + 2 * i];
            c->any_hi[i] = f->param_values[user + 2 + 2 * i];
        }
        c->nany = c->k;
        int at = user + 1 + 2 * c->k;
        for (int i = 0; i < user; i++)
            if (is_global_ptr(f->params[i].type)) {
                set_g(c, f->param_values[i],
                      (GShadow){f->param_values[at], f->param_values[at + 1], true, NULL});
                at += 2;
            }
    }
    /* Shadow slots of pointer LOCALs, unknown until a store. */
    int nlocals = f->locals.len;
    for (int i = 0; i < nlocals; i++) {
        IrInst *l = f->locals.data[i];
        if (!is_global_ptr(l->type->elem))
            continue;
        grow(c, l->id);
        IrInst *lo = ir_local(&c->b, u64t(c), "claw.lo");
        IrInst *hi = ir_local(&c->b, u64t(c), "claw.hi");
        grow(c, l->id);
        c->slot_lo[l->id] = lo;
        c->slot_hi[l->id] = hi;
        ir_store(&c->b, lo, cu64(c, 1));
        ir_store(&c->b, hi, cu64(c, 0));
    }
    check_region(c, &f->body);
    for (int i = 0; i < f->body.len; i++)
        ir_region_append(&pro, f->body.insts[i]);
    f->body = pro;
}

void
ir_bounds_check(IrModule *m)
{
    if (m->bounds_checked)
        return;
    Bc c = {.m = m};
    int nfuncs = m->funcs.len;
    for (int i = 0; i < nfuncs; i++) {
        IrFunc *f = m->funcs.data[i];
        if (f->is_kernel && pointer_params(f) > c.k)
            c.k = pointer_params(f);
    }
    for (int i = 0; i < nfuncs; i++)
        add_hidden(&c, m->funcs.data[i]);
    for (int i = 0; i < nfuncs; i++)
        check_func(&c, m->funcs.data[i]);
    free_maps(&c);
    m->bounds_checked = true;
#ifndef NDEBUG
    Buf err = {0};
    if (!ir_verify(m, &err)) {
        buf_append(&err, "", 1);
        ICE("IR invalid after the bounds check:\n%s", (const char *)err.data);
    }
    buf_free(&err);
#endif
}
