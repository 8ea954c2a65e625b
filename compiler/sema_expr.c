/* sema_expr.c: type checking and constant folding of expressions.
 *
 * sema_expr(e, want) checks one expression bottom-up. `want` is the type the
 * context expects; it only matters to untyped literals, which take it when
 * they can (docs/language.md §2: `x + 1` with x: u64 makes 1 a u64). Binary
 * operators check their typed operand first and hand its type to an untyped
 * one, so `1 + x` works as well as `x + 1`.
 *
 * Every scalar expression whose operands are constants is folded into
 * Node.cval with the targets' exact semantics (§5): integers wrap to their
 * width, division truncates, MIN / -1 == MIN, shift amounts are taken modulo
 * the width, f32 and f16 results are rounded to their precision (binary16 by
 * hand, round to nearest even), float-to-int casts saturate and send NaN to 0.
 *
 * Error recovery: an expression that fails gets type NULL, and every check
 * that meets a NULL operand stays silent, so one mistake gives one error. */
#include "cuda_names.h"
#include "sema_impl.h"

#include <math.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

const char *
sema_type_name(Sema *s, IrType *t)
{
    return t ? ir_type_name(s->m, t) : "?";
}

const char *
sema_binop_str(int op)
{
    static const char *const names[] = {
        [BIN_NONE] = "=",  [BIN_ADD] = "+",  [BIN_SUB] = "-",  [BIN_MUL] = "*",
        [BIN_DIV] = "/",   [BIN_REM] = "%",  [BIN_SHL] = "<<", [BIN_SHR] = ">>",
        [BIN_AND] = "&",   [BIN_XOR] = "^",  [BIN_OR] = "|",   [BIN_EQ] = "==",
        [BIN_NE] = "!=",   [BIN_LT] = "<",   [BIN_LE] = "<=",  [BIN_GT] = ">",
        [BIN_GE] = ">=",   [BIN_LAND] = "&&", [BIN_LOR] = "||",
    };
    return op >= 0 && op <= BIN_LOR ? names[op] : "?";
}

static bool
is_cmp(int op)
{
    return op >= BIN_EQ && op <= BIN_GE;
}

static bool
is_bool(const IrType *t)
{
    return t && t->kind == IRT_BOOL;
}

static bool
is_ptr(const IrType *t)
{
    return t && t->kind == IRT_PTR;
}

/* The low `bits` bits of v (ConstVal keeps the bits above the width zero). */
static uint64_t
trunc_bits(uint64_t v, uint32_t bits)
{
    return bits >= 64 ? v : v & ((UINT64_C(1) << bits) - 1);
}


/* Rounds to the precision of float type t (ir_round_float). Computing
 * a + - * / or sqrt in double and rounding once more is exact for f32, f16
 * and bf16 (53 >= 2p + 2). */
static double
round_to(const IrType *t, double v)
{
    return ir_round_float(t, v);
}

static void
set_int(Node *e, IrType *t, uint64_t v)
{
    e->cval.type = t;
    e->cval.i = t->kind == IRT_BOOL ? (v != 0) : trunc_bits(v, t->bits);
    e->cval.f = 0;
}

static void
set_float(Node *e, IrType *t, double v)
{
    e->cval.type = t;
    e->cval.i = 0;
    e->cval.f = round_to(t, v);
}

static bool
is_const(const Node *e)
{
    return e && e->cval.type != NULL;
}

/* Integer value of a constant as a wide signed number (for bounds checks). */
static bool
const_fits_index(const ConstVal *c, uint64_t count, int64_t *out)
{
    if (c->type->is_signed) {
        int64_t v = ir_sext(c->i, c->type->bits);
        *out = v;
        return v >= 0 && (uint64_t)v < count;
    }
    *out = (int64_t)c->i;
    return c->i < count;
}

/* ---- conversions (§2) --------------------------------------------------- */

static double
int_to_float(uint64_t v, const IrType *from, const IrType *to)
{
    /* C's integer-to-float conversion rounds once, to nearest even; going
     * through double first would round twice for wide values and f32. */
    bool neg = from->is_signed && ir_sext(v, from->bits) < 0;
    if (to->bits == 32)
        return neg ? (double)(float)ir_sext(v, from->bits) : (double)(float)trunc_bits(v, from->bits);
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)ir_sext(v, from->bits) : trunc_bits(v, from->bits);
    /* f16: any value that double rounded (beyond 2^53) overflows binary16.
     * bf16 has f32's range: above 2^53, fold the bits below the 24 that
     * matter into one sticky bit first, so the one rounding to 8 bits sees
     * the exact value's side of every midpoint. */
    if (to->is_bf16 && mag >> 53) {
        int k = 0;
        while (mag >> (24 + k))
            k++;
        uint64_t sticky = (mag & ((UINT64_C(1) << k) - 1)) != 0;
        double d = ldexp((double)((mag >> k) | sticky), k);
        return round_to(to, neg ? -d : d);
    }
    double d = neg ? (double)ir_sext(v, from->bits) : (double)trunc_bits(v, from->bits);
    return round_to(to, d);
}

static uint64_t
float_to_int(double f, const IrType *to)
{
    if (isnan(f))
        return 0;
    f = trunc(f);
    uint32_t b = to->bits;
    if (to->is_signed) {
        double lim = ldexp(1.0, (int)b - 1);
        if (f >= lim)
            return trunc_bits((UINT64_C(1) << (b - 1)) - 1, b);
        if (f <= -lim)
            return trunc_bits(UINT64_C(1) << (b - 1), b);
        return trunc_bits((uint64_t)(int64_t)f, b);
    }
    if (f <= 0.0)
        return 0;
    if (f >= ldexp(1.0, (int)b))
        return trunc_bits(UINT64_MAX, b);
    return (uint64_t)f;
}

/* Folds `from`-typed constant c converted to `to` into e. */
static void
fold_cast(Node *e, const ConstVal *c, IrType *to)
{
    IrType *from = c->type;
    if (from == to) {
        e->cval = *c;
    } else if (ir_type_is_int(to)) {
        if (ir_type_is_float(from))
            set_int(e, to, float_to_int(c->f, to));
        else if (from->kind == IRT_BOOL)
            set_int(e, to, c->i);
        else
            set_int(e, to, from->is_signed ? (uint64_t)ir_sext(c->i, from->bits) : c->i);
    } else if (ir_type_is_float(to)) {
        if (ir_type_is_float(from))
            set_float(e, to, c->f);
        else
            set_float(e, to, int_to_float(c->i, from, to));
    }
}

/* ---- literals ------------------------------------------------------------ */

/* The parser computes it bottom-up (Node.untyped): a recursive walk here
 * would be quadratic on a long chain, asked again at every level. */
bool
sema_untyped(const Node *e)
{
    return e->untyped;
}

static IrType *
suffix_type(Sema *s, LitSuffix suf)
{
    switch (suf) {
    case SUF_I8: return ir_type_int(s->m, 8, true);
    case SUF_I16: return ir_type_int(s->m, 16, true);
    case SUF_I32: return ir_type_int(s->m, 32, true);
    case SUF_I64: return ir_type_int(s->m, 64, true);
    case SUF_U8: return ir_type_int(s->m, 8, false);
    case SUF_U16: return ir_type_int(s->m, 16, false);
    case SUF_U32: return ir_type_int(s->m, 32, false);
    case SUF_U64: return ir_type_int(s->m, 64, false);
    case SUF_F16: return ir_type_float(s->m, 16);
    case SUF_F32: return ir_type_float(s->m, 32);
    case SUF_F64: return ir_type_float(s->m, 64);
    case SUF_BF16: return ir_type_bf16(s->m);
    case SUF_NONE: break;
    }
    return NULL;
}

/* An integer literal, negated when `neg` (the operand of a unary minus, so
 * that -128 fits in i8). The untyped literal takes `want` if it is numeric:
 * an integer type if the value fits, a float type if it is exact there. */
static IrType *
int_literal(Sema *s, Node *e, IrType *want, bool neg, SrcLoc loc)
{
    const Token *tk = e->u.lit.tok;
    uint64_t v = tk->ival;
    IrType *t = suffix_type(s, tk->suffix);
    if (!t)
        t = want && ir_type_is_numeric(want) ? want : ir_type_int(s->m, 32, true);
    e->type = t;
    const char *sign = neg ? "-" : "";
    if (ir_type_is_float(t)) {
        double d = (double)v;
        bool exact = d < 18446744073709551616.0 && (uint64_t)d == v && round_to(t, d) == d;
        if (!exact) {
            diag_error(loc, "literal %s%.*s is not exactly representable in '%s'", sign,
                       (int)tk->len, tk->text, sema_type_name(s, t));
            return e->type = NULL;
        }
        set_float(e, t, neg ? -d : d);
        return t;
    }
    uint32_t b = t->bits;
    bool fits;
    if (!t->is_signed)
        fits = !neg || v == 0 ? (b >= 64 || v <= trunc_bits(UINT64_MAX, b)) : false;
    else
        fits = v <= (UINT64_C(1) << (b - 1)) - (neg ? 0 : 1);
    if (!fits) {
        diag_error(loc, "literal %s%.*s does not fit in '%s'", sign, (int)tk->len, tk->text,
                   sema_type_name(s, t));
        return e->type = NULL;
    }
    set_int(e, t, neg ? (uint64_t)0 - v : v);
    return t;
}

static IrType *
float_literal(Sema *s, Node *e, IrType *want, bool neg, SrcLoc loc)
{
    const Token *tk = e->u.lit.tok;
    IrType *t = suffix_type(s, tk->suffix);
    if (!t)
        t = want && ir_type_is_float(want) ? want : ir_type_float(s->m, 32);
    if (!ir_type_is_float(t)) {
        diag_error(loc, "float literal cannot have an integer suffix");
        return e->type = NULL;
    }
    double d = round_to(t, tk->fval);
    if (isinf(d) && !isinf(tk->fval)) {
        diag_error(loc, "literal %s%.*s does not fit in '%s'", neg ? "-" : "", (int)tk->len,
                   tk->text, sema_type_name(s, t));
        return e->type = NULL;
    }
    e->type = t;
    set_float(e, t, neg ? -d : d);
    return t;
}

/* ---- names ---------------------------------------------------------------- */

static void
bind_name(Node *e, const Sym *sym)
{
    e->u.name.sym = sym->kind;
    if (sym->kind == SYM_VAR)
        e->u.name.ref.var = sym->var;
    else if (sym->kind == SYM_BUILTIN_VAR || sym->kind == SYM_BUILTIN_FN)
        e->u.name.ref.builtin = sym->builtin;
    else
        e->u.name.ref.decl = sym->decl;
}

static IrType *
check_name(Sema *s, Node *e)
{
    const char *name = e->u.name.name;
    Sym sym = sema_lookup(s, name);
    bind_name(e, &sym);
    switch (sym.kind) {
    case SYM_NONE:
        if (!cuda_reserved_reported(name)) {
            diag_error(e->loc, "unknown name '%s'", name);
            cuda_note_spelling(e->loc, name, strlen(name));
        }
        return NULL;
    case SYM_VAR:
        return sym.var->u.var.decl_type;
    case SYM_CONST:
        if (!sema_const_ready(s, sym.decl, e->loc))
            return NULL;
        if (sym.decl->u.cnst.val.type)
            e->cval = sym.decl->u.cnst.val;
        return sym.decl->u.cnst.type;
    case SYM_FUNC:
        diag_error(e->loc, "function '%s' cannot be used as a value; call it", name);
        return NULL;
    case SYM_STRUCT:
        diag_error(e->loc, "'%s' is a struct type, not a value", name);
        return NULL;
    case SYM_BUILTIN_VAR:
        diag_error(e->loc, "builtin '%s' must be used with a component: %s.x, %s.y or %s.z",
                   name, name, name, name);
        return NULL;
    case SYM_BUILTIN_FN:
        diag_error(e->loc, "builtin function '%s' must be called", name);
        return NULL;
    }
    return NULL;
}

/* ---- operators ------------------------------------------------------------ */

/* `lt op rt` where at least one side is a vector (docs/language.md §11):
 * vector op vector of one type, or vector op scalar of its element type
 * (either side), checked with the scalar rules on the element type. */
static IrType *
vec_binop_type(Sema *s, int op, IrType *lt, IrType *rt, SrcLoc loc)
{
    const char *os = sema_binop_str(op);
    if (op == BIN_LAND || op == BIN_LOR) {
        diag_error(loc, "'%s' takes 'bool' operands, found '%s'; bool vectors combine with '%s'",
                   os, sema_type_name(s, ir_type_is_vec(lt) ? lt : rt), op == BIN_LAND ? "&" : "|");
        return NULL;
    }
    IrType *vt = ir_type_is_vec(lt) ? lt : rt;
    if (op == BIN_SHL || op == BIN_SHR) {
        /* the amount: any integer scalar, or an integer vector of the same length */
        bool amount_ok = ir_type_is_int(rt) || (ir_type_is_vec(rt) && ir_type_is_int(rt->elem) &&
                                                 ir_type_is_vec(lt) && rt->count == lt->count);
        if (!ir_type_is_vec(lt) || !ir_type_is_int(lt->elem)) {
            diag_error(loc, "cannot apply '%s' to '%s'", os, sema_type_name(s, lt));
            return NULL;
        }
        if (!amount_ok) {
            diag_error(loc, "shift amount of a '%s' must be an integer or an integer vector of "
                            "%u components, found '%s'",
                       sema_type_name(s, lt), (unsigned)lt->count, sema_type_name(s, rt));
            return NULL;
        }
        return lt;
    }
    IrType *other = vt == lt ? rt : lt;
    if (other != vt && other != vt->elem) {
        diag_error(loc, "mismatched types '%s' and '%s' in '%s'", sema_type_name(s, lt),
                   sema_type_name(s, rt), os);
        return NULL;
    }
    IrType *e = vt->elem;
    bool ok;
    switch (op) {
    case BIN_ADD: case BIN_SUB: case BIN_MUL: case BIN_DIV: case BIN_REM:
    case BIN_LT: case BIN_LE: case BIN_GT: case BIN_GE:
        ok = ir_type_is_numeric(e);
        break;
    case BIN_AND: case BIN_OR: case BIN_XOR:
        ok = ir_type_is_int(e) || is_bool(e);
        break;
    case BIN_EQ: case BIN_NE:
        ok = true;
        break;
    default:
        ok = false;
        break;
    }
    if (!ok) {
        diag_error(loc, "cannot apply '%s' to '%s'", os, sema_type_name(s, vt));
        return NULL;
    }
    return is_cmp(op) ? ir_type_vec(s->m, ir_type_bool(s->m), (uint32_t)vt->count) : vt;
}

IrType *
sema_binop_type(Sema *s, int op, IrType *lt, IrType *rt, SrcLoc loc)
{
    if (!lt || !rt)
        return NULL;
    if (lt->kind == IRT_MATRIX || rt->kind == IRT_MATRIX)
        return sema_matrix_binop(s, op, lt, rt, loc);
    if (ir_type_is_vec(lt) || ir_type_is_vec(rt))
        return vec_binop_type(s, op, lt, rt, loc);
    const char *os = sema_binop_str(op);
    if (op == BIN_SHL || op == BIN_SHR) {
        if (!ir_type_is_int(lt)) {
            diag_error(loc, "cannot apply '%s' to '%s'", os, sema_type_name(s, lt));
            return NULL;
        }
        if (!ir_type_is_int(rt)) {
            diag_error(loc, "shift amount must be an integer, found '%s'", sema_type_name(s, rt));
            return NULL;
        }
        return lt;
    }
    if (op == BIN_LAND || op == BIN_LOR) {
        IrType *bad = !is_bool(lt) ? lt : !is_bool(rt) ? rt : NULL;
        if (bad) {
            diag_error(loc, "operands of '%s' must be 'bool', found '%s'", os,
                       sema_type_name(s, bad));
            return NULL;
        }
        return lt;
    }
    if ((op == BIN_ADD || op == BIN_SUB) && is_ptr(lt)) {
        if (!ir_type_is_int(rt)) {
            diag_error(loc, "pointer arithmetic needs an integer offset, found '%s'",
                       sema_type_name(s, rt));
            return NULL;
        }
        return lt;
    }
    if ((is_ptr(lt) || is_ptr(rt)) && (op == BIN_EQ || op == BIN_NE)) {
        /* pointers compare by address: of one element type, `const` or not
         * (docs/language.md §11) */
        if (is_ptr(lt) && is_ptr(rt) && lt->elem == rt->elem && lt->space == rt->space)
            return ir_type_bool(s->m);
        if (is_ptr(lt) && is_ptr(rt))
            diag_error(loc, "cannot compare pointers of different types '%s' and '%s'; cast one "
                            "(p as *T) to compare addresses",
                       sema_type_name(s, lt), sema_type_name(s, rt));
        else
            diag_error(loc, "cannot compare pointer type '%s' with '%s'",
                       sema_type_name(s, is_ptr(lt) ? lt : rt), sema_type_name(s, is_ptr(lt) ? rt : lt));
        return NULL;
    }
    if ((is_ptr(lt) || is_ptr(rt)) && op != BIN_EQ && op != BIN_NE) {
        diag_error(loc, "cannot apply '%s' to pointer type '%s'%s", os,
                   sema_type_name(s, is_ptr(lt) ? lt : rt),
                   op == BIN_ADD && is_ptr(rt) ? " (write the pointer first: p + i)" : "");
        return NULL;
    }
    if (lt != rt) {
        diag_error(loc, "mismatched types '%s' and '%s' in '%s'", sema_type_name(s, lt),
                   sema_type_name(s, rt), os);
        if (ir_type_is_float(lt) && ir_type_is_float(rt) && lt->bits == 16 && rt->bits == 16)
            diag_note(loc, "f16 and bf16 are different formats; convert one with 'as'");
        return NULL;
    }
    bool ok;
    switch (op) {
    case BIN_ADD: case BIN_SUB: case BIN_MUL: case BIN_DIV: case BIN_REM:
    case BIN_LT: case BIN_LE: case BIN_GT: case BIN_GE:
        ok = ir_type_is_numeric(lt);
        break;
    case BIN_AND: case BIN_OR: case BIN_XOR:
        ok = ir_type_is_int(lt) || is_bool(lt);
        break;
    case BIN_EQ: case BIN_NE:
        ok = ir_type_is_scalar(lt);
        break;
    default:
        ok = false;
        break;
    }
    if (!ok) {
        diag_error(loc, "cannot apply '%s' to '%s'", os, sema_type_name(s, lt));
        return NULL;
    }
    return is_cmp(op) ? ir_type_bool(s->m) : lt;
}

IrOp
sema_binop_ir(BinOp op)
{
    switch (op) {
    case BIN_ADD: return IR_ADD;
    case BIN_SUB: return IR_SUB;
    case BIN_MUL: return IR_MUL;
    case BIN_DIV: return IR_DIV;
    case BIN_REM: return IR_REM;
    case BIN_SHL: return IR_SHL;
    case BIN_SHR: return IR_SHR;
    case BIN_AND: return IR_AND;
    case BIN_XOR: return IR_XOR;
    case BIN_OR: return IR_OR;
    case BIN_EQ: return IR_EQ;
    case BIN_NE: return IR_NE;
    case BIN_LT: return IR_LT;
    case BIN_LE: return IR_LE;
    case BIN_GT: return IR_GT;
    case BIN_GE: return IR_GE;
    case BIN_NONE:
    case BIN_LAND:
    case BIN_LOR: break;
    }
    ICE("binary operator %d has no IR op", (int)op);
}

/* Folds l op r (constants of the operand type) into e. Returns false
 * after diagnosing an integer division by zero. */
static bool
fold_binary(Node *e, int op, const ConstVal *l, const ConstVal *r)
{
    IrType *t = l->type;
    IrType *rt = e->type;
    if (t->kind == IRT_BOOL) {
        bool x = l->i, y = r->i, v;
        switch (op) {
        case BIN_AND: case BIN_LAND: v = x && y; break;
        case BIN_OR: case BIN_LOR: v = x || y; break;
        case BIN_XOR: case BIN_NE: v = x != y; break;
        case BIN_EQ: v = x == y; break;
        default: return true;
        }
        set_int(e, rt, v);
        return true;
    }
    if (ir_type_is_float(t)) {
        double x = l->f, y = r->f;
        switch (op) {
        case BIN_ADD: set_float(e, t, x + y); break;
        case BIN_SUB: set_float(e, t, x - y); break;
        case BIN_MUL: set_float(e, t, x * y); break;
        case BIN_DIV: set_float(e, t, x / y); break;
        case BIN_REM: set_float(e, t, fmod(x, y)); break;
        case BIN_EQ: set_int(e, rt, x == y); break;
        case BIN_NE: set_int(e, rt, x != y); break;
        case BIN_LT: set_int(e, rt, x < y); break;
        case BIN_LE: set_int(e, rt, x <= y); break;
        case BIN_GT: set_int(e, rt, x > y); break;
        case BIN_GE: set_int(e, rt, x >= y); break;
        default: break;
        }
        return true;
    }
    if (!ir_type_is_int(t))
        return true; /* pointers never fold */
    if ((op == BIN_DIV || op == BIN_REM) && r->i == 0) {
        diag_error(e->loc, "division by zero in constant expression");
        return false;
    }
    /* the IR's rules (§5): wrapping, MIN / -1 == MIN, MIN % -1 == 0, shift
     * amounts (of their own type, only the low bits matter) modulo the width */
    uint64_t v;
    if (op != BIN_LAND && op != BIN_LOR && ir_fold_int(sema_binop_ir((BinOp)op), t, l->i, r->i, &v))
        set_int(e, is_cmp(op) ? rt : t, v);
    return true;
}

static IrType *
check_binary(Sema *s, Node *e, IrType *want)
{
    int op = e->u.bin.op;
    Node *l = e->u.bin.lhs, *r = e->u.bin.rhs;
    if (op == BIN_LAND || op == BIN_LOR) {
        IrType *b = ir_type_bool(s->m);
        sema_expr(s, l, b);
        sema_expr(s, r, b);
    } else if (op == BIN_SHL || op == BIN_SHR) {
        /* the amount has its own type (§5); untyped, it is an i32 */
        sema_expr(s, l, ir_type_is_vec(want) ? want->elem : want);
        sema_expr(s, r, NULL);
    } else {
        /* Check the operand that has a type of its own first, and let an
         * untyped literal on the other side take that type. */
        IrType *outer = is_cmp(op) ? NULL : want;
        Node *first = l, *second = r;
        if (sema_untyped(l) && !sema_untyped(r)) {
            first = r;
            second = l;
        }
        IrType *t1 = sema_expr(s, first, outer);
        /* acc + matrix_fill(x): the other side of + and - gives a matrix its type;
         * a vector's untyped partner takes its element type (v * 2.0) */
        bool mat_hint = t1 && t1->kind == IRT_MATRIX && (op == BIN_ADD || op == BIN_SUB);
        IrType *t1s = ir_type_scalar_of(t1);
        IrType *hint = t1 && (is_ptr(t1) || mat_hint)                   ? t1
                       : t1 && (ir_type_is_numeric(t1s) || is_bool(t1s)) ? t1s
                       : t1                                             ? NULL
                                                                        : ir_type_scalar_of(outer);
        sema_expr(s, second, hint);
    }
    if ((l->kind == ND_NULL_LIT || r->kind == ND_NULL_LIT) && l->type && r->type &&
        op != BIN_EQ && op != BIN_NE) {
        /* `null + 1` would be address 4: no pointer arithmetic on null */
        diag_error(e->loc, "'null' can only be compared ('==', '!='), not used with '%s'",
                   sema_binop_str(op));
        return e->type = NULL;
    }
    IrType *t = sema_binop_type(s, op, l->type, r->type, e->loc);
    e->type = t;
    if (t && is_const(l) && is_const(r) && !fold_binary(e, op, &l->cval, &r->cval))
        e->type = NULL;
    return e->type;
}

static IrType *
check_unary(Sema *s, Node *e, IrType *want)
{
    Node *x = e->u.bin.lhs;
    int op = e->u.bin.op;
    if (op == UN_NEG && (x->kind == ND_INT_LIT || x->kind == ND_FLOAT_LIT)) {
        /* A negative literal is checked as one value: -128 fits in i8, -1
         * does not fit in u32. */
        IrType *t = x->kind == ND_INT_LIT ? int_literal(s, x, want, true, e->loc)
                                          : float_literal(s, x, want, true, e->loc);
        e->type = t;
        if (t) {
            e->cval = x->cval;
            /* the operand keeps the positive magnitude for anyone who
             * lowers the negation instead of using the folded value */
            if (ir_type_is_int(t))
                set_int(x, t, (uint64_t)0 - x->cval.i);
            else
                set_float(x, t, -x->cval.f);
        }
        return t;
    }
    IrType *t = sema_expr(s, x, op == UN_NOT ? ir_type_bool(s->m) : ir_type_scalar_of(want));
    if (!t)
        return e->type = NULL;
    if (ir_type_is_vec(t)) {
        /* component-wise, with the rules of the element type (§11) */
        IrType *el = t->elem;
        bool ok = op == UN_NEG    ? ir_type_is_float(el) || (ir_type_is_int(el) && el->is_signed)
                  : op == UN_NOT  ? is_bool(el)
                                  : ir_type_is_int(el);
        if (!ok) {
            diag_error(e->loc, "cannot apply unary '%s' to '%s'",
                       op == UN_NEG ? "-" : op == UN_NOT ? "!" : "~", sema_type_name(s, t));
            return e->type = NULL;
        }
        return e->type = t;
    }
    switch (op) {
    case UN_NEG:
        if (ir_type_is_int(t) && !t->is_signed) {
            diag_error(e->loc, "cannot negate unsigned type '%s'", sema_type_name(s, t));
            return e->type = NULL;
        }
        if (!ir_type_is_numeric(t)) {
            diag_error(e->loc, "cannot apply unary '-' to '%s'", sema_type_name(s, t));
            return e->type = NULL;
        }
        if (is_const(x)) {
            e->type = t;
            if (ir_type_is_int(t))
                set_int(e, t, (uint64_t)0 - x->cval.i);
            else
                set_float(e, t, -x->cval.f);
        }
        break;
    case UN_NOT:
        if (!is_bool(t)) {
            diag_error(e->loc, "cannot apply '!' to '%s'%s", sema_type_name(s, t),
                       ir_type_is_int(t) ? "; use '~' for bitwise complement" : "");
            return e->type = NULL;
        }
        if (is_const(x))
            set_int(e, t, !x->cval.i);
        break;
    case UN_BITNOT:
        if (!ir_type_is_int(t)) {
            diag_error(e->loc, "cannot apply '~' to '%s'%s", sema_type_name(s, t),
                       is_bool(t) ? "; use '!' for logical not" : "");
            return e->type = NULL;
        }
        if (is_const(x))
            set_int(e, t, ~x->cval.i);
        break;
    default:
        return e->type = NULL;
    }
    return e->type = t;
}

/* §2: numeric <-> numeric, bool -> integer, pointer <-> u64; §11: *T -> *U
 * and *const U, *const T -> *const U (const may be added, never dropped),
 * in one memory space. */
static bool
cast_ok(const IrType *from, const IrType *to)
{
    if (from == to)
        return true;
    /* §11: component-wise between vectors of one length */
    if (ir_type_is_vec(from) || ir_type_is_vec(to))
        return ir_type_is_vec(from) && ir_type_is_vec(to) && from->count == to->count &&
               cast_ok(from->elem, to->elem);
    if (ir_type_is_numeric(from) && ir_type_is_numeric(to))
        return true;
    if (from->kind == IRT_BOOL && ir_type_is_int(to))
        return true;
    if (is_ptr(from) && ir_type_is_int(to) && to->bits == 64 && !to->is_signed)
        return true;
    if (is_ptr(to) && ir_type_is_int(from) && from->bits == 64 && !from->is_signed)
        return true;
    if (is_ptr(from) && is_ptr(to))
        return (!from->is_const || to->is_const) && from->space == to->space;
    return false;
}

static IrType *
check_cast(Sema *s, Node *e)
{
    IrType *to = sema_resolve_type(s, e->u.cast.to);
    Node *x = e->u.cast.lhs;
    /* An untyped operand is typed as an integer target directly (so `300
     * as u8` is diagnosed rather than silently wrapped), as a float target
     * if it is a float (an integer becomes an i64 that the cast rounds:
     * `65519 as f16`), and as a u64 address for a pointer target. */
    IrType *hint = NULL;
    if (to && x->kind == ND_NULL_LIT) {
        hint = to; /* `null as *T` is the null *T; as anything else, no pointer context */
    } else if (to && sema_untyped(x) && !ir_type_is_vec(to)) {
        if (is_ptr(to))
            hint = ir_type_int(s->m, 64, false);
        else if (ir_type_is_float(to) &&
                 (x->kind == ND_INT_LIT ||
                  (x->kind == ND_UNARY && x->u.bin.lhs->kind == ND_INT_LIT)))
            hint = ir_type_int(s->m, 64, true);
        else
            hint = to;
    }
    IrType *from = sema_expr(s, x, hint);
    if (!to || !from)
        return e->type = NULL;
    if (!cast_ok(from, to)) {
        if (to->kind == IRT_BOOL || (ir_type_is_vec(to) && to->elem->kind == IRT_BOOL))
            diag_error(e->loc, "cannot cast '%s' to '%s'; compare with 0 instead",
                       sema_type_name(s, from), sema_type_name(s, to));
        else if (ir_type_is_vec(from) != ir_type_is_vec(to))
            diag_error(e->loc,
                       "cannot cast '%s' to '%s': 'as' converts vectors component-wise to "
                       "vectors of the same length%s",
                       sema_type_name(s, from), sema_type_name(s, to),
                       ir_type_is_vec(to) ? " (a vector from one scalar: vecN<T>(x))" : "");
        else if (ir_type_is_vec(from) && from->count != to->count)
            diag_error(e->loc, "cannot cast '%s' to '%s': the vectors differ in length",
                       sema_type_name(s, from), sema_type_name(s, to));
        else if (is_ptr(from) && is_ptr(to) && from->space != to->space)
            diag_error(e->loc, "cannot cast '%s' to '%s': pointers cannot change memory space",
                       sema_type_name(s, from), sema_type_name(s, to));
        else if (is_ptr(from) && is_ptr(to))
            diag_error(e->loc, "cannot cast '%s' to '%s': casts cannot remove 'const'",
                       sema_type_name(s, from), sema_type_name(s, to));
        else
            diag_error(e->loc, "cannot cast '%s' to '%s'", sema_type_name(s, from),
                       sema_type_name(s, to));
        return e->type = NULL;
    }
    e->type = to;
    if (is_const(x) && (ir_type_is_numeric(to) || is_bool(to)))
        fold_cast(e, &x->cval, to);
    return to;
}

/* ---- places (§4 assignment targets, §7 atomic operands) ------------------- */

typedef enum PlaceKind {
    PLACE_OK,
    PLACE_NOT,       /* not a place at all */
    PLACE_CONST,     /* a module constant */
    PLACE_BUILTIN,   /* thread_id.x ... */
    PLACE_SWIZZLE,   /* v.xy: a swizzle of more than one component */
} PlaceKind;

typedef struct Place {
    PlaceKind kind;
    Node *root;          /* the variable at the root, if not through a pointer */
    IrType *ptr;         /* the pointer it goes through, if any */
    IrSpace space;
} Place;

static Place
place_of(Node *e)
{
    Place p = {PLACE_NOT, NULL, NULL, IR_SPACE_PRIVATE};
    switch (e->kind) {
    case ND_NAME:
        if (e->u.name.sym == SYM_VAR) {
            p.kind = PLACE_OK;
            p.root = e->u.name.ref.var;
            p.space = p.root->u.var.vkind == VAR_SHARED ? IR_SPACE_SHARED : IR_SPACE_PRIVATE;
        } else if (e->u.name.sym == SYM_CONST) {
            p.kind = PLACE_CONST;
        }
        return p;
    case ND_INDEX: {
        IrType *bt = e->u.index.base->type;
        if (is_ptr(bt)) {
            p.kind = PLACE_OK;
            p.ptr = bt;
            p.space = IR_SPACE_GLOBAL;
            return p;
        }
        if (bt && (bt->kind == IRT_ARRAY || bt->kind == IRT_VEC))
            return place_of(e->u.index.base);
        return p;
    }
    case ND_FIELD: {
        Node *b = e->u.field.base;
        if (b->kind == ND_NAME && b->u.name.sym == SYM_BUILTIN_VAR) {
            p.kind = PLACE_BUILTIN;
            return p;
        }
        if (b->type && b->type->kind == IRT_VEC && e->u.field.nswz > 1) {
            p.kind = PLACE_SWIZZLE;
            return p;
        }
        if (b->type && (b->type->kind == IRT_STRUCT || b->type->kind == IRT_VEC))
            return place_of(b);
        return p;
    }
    default:
        return p;
    }
}

bool
sema_check_place(Sema *s, Node *e, const char *atomic)
{
    if (!e->type)
        return false;
    Place p = place_of(e);
    switch (p.kind) {
    case PLACE_NOT:
        if (atomic)
            diag_error(e->loc,
                       "first argument of '%s' must be a place in global or shared memory "
                       "(like p[i] or tile[j])",
                       atomic);
        else
            diag_error(e->loc, "cannot assign to this expression: it is not a place");
        return false;
    case PLACE_CONST:
        diag_error(e->loc, "cannot %s constant '%s'", atomic ? "modify" : "assign to",
                   e->u.name.name);
        return false;
    case PLACE_BUILTIN:
        diag_error(e->loc, "cannot %s builtin variable '%s'", atomic ? "modify" : "assign to",
                   e->u.field.base->u.name.name);
        return false;
    case PLACE_SWIZZLE:
        diag_error(e->u.field.name_loc,
                   "cannot %s the swizzle '.%s': only a single component of a vector can be "
                   "assigned",
                   atomic ? "modify" : "assign to", e->u.field.name);
        return false;
    case PLACE_OK:
        break;
    }
    if (p.ptr) {
        if (p.ptr->is_const) {
            if (atomic)
                diag_error(e->loc, "'%s' cannot write through '%s'", atomic,
                           sema_type_name(s, p.ptr));
            else
                diag_error(e->loc, "cannot write through '%s'", sema_type_name(s, p.ptr));
            return false;
        }
    } else if (p.root->u.var.vkind == VAR_LET) {
        const char *name = p.root->u.var.name;
        if (atomic)
            diag_error(e->loc, "first argument of '%s' must be in global or shared memory",
                       atomic);
        else if (sema_is_loop_var(s, p.root))
            diag_error(e->loc, "cannot assign to loop variable '%s'", name);
        else if (sema_is_param(s, p.root))
            diag_error(e->loc,
                       "cannot assign to parameter '%s': parameters are immutable "
                       "(copy it into a 'var')",
                       name);
        else {
            diag_error(e->loc, "cannot assign to '%s', which is declared with 'let'", name);
            diag_note(p.root->loc, "'%s' is declared here; use 'var' to make it mutable", name);
        }
        return false;
    }
    if (atomic && p.space == IR_SPACE_PRIVATE) {
        diag_error(e->loc,
                   "first argument of '%s' must be in global or shared memory, not a local "
                   "variable",
                   atomic);
        return false;
    }
    return true;
}

/* ---- postfix: fields and indexing ----------------------------------------- */

/* v.x, v.zyx, v.xxxx (§11): one to four of x y z w, each within the
 * vector's length; one component is the element type, more a vector. */
static IrType *
check_swizzle(Sema *s, Node *e, IrType *vt)
{
    const char *name = e->u.field.name;
    size_t n = strlen(name);
    if (n > 4) {
        diag_error(e->u.field.name_loc,
                   "swizzle '.%s' has %zu components; a swizzle takes one to four of x, y, z, w",
                   name, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int c = name[i] == 'x' ? 0 : name[i] == 'y' ? 1 : name[i] == 'z' ? 2 : name[i] == 'w' ? 3 : -1;
        SrcLoc at = e->u.field.name_loc;
        at.col += (uint32_t)i;
        if (c < 0) {
            diag_error(at, "'%s' has no component '%c' in '.%s' (vectors have .x .y .z .w)",
                       sema_type_name(s, vt), name[i], name);
            return NULL;
        }
        if ((uint64_t)c >= vt->count) {
            diag_error(at, "component '%c' is past the end of '%s', which has %u components",
                       name[i], sema_type_name(s, vt), (unsigned)vt->count);
            return NULL;
        }
        e->u.field.swz[i] = (uint8_t)c;
    }
    e->u.field.nswz = (int)n;
    e->u.field.field_index = e->u.field.swz[0];
    return n == 1 ? vt->elem : ir_type_vec(s->m, vt->elem, (uint32_t)n);
}

static IrType *
check_field(Sema *s, Node *e)
{
    Node *b = e->u.field.base;
    const char *fname = e->u.field.name;
    if (b->kind == ND_NAME) {
        Sym sym = sema_lookup(s, b->u.name.name);
        if (sym.kind == SYM_BUILTIN_VAR) {
            bind_name(b, &sym);
            int dim = -1;
            if (fname[0] && !fname[1] && fname[0] >= 'x' && fname[0] <= 'z')
                dim = fname[0] - 'x';
            if (dim < 0) {
                diag_error(e->u.field.name_loc,
                           "builtin '%s' has no component '%s' (use .x, .y or .z)",
                           b->u.name.name, fname);
                return e->type = NULL;
            }
            e->u.field.field_index = dim;
            return e->type = ir_type_int(s->m, 32, false);
        }
    }
    IrType *bt = sema_expr(s, b, NULL);
    if (!bt)
        return e->type = NULL;
    if (bt->kind == IRT_VEC)
        return e->type = check_swizzle(s, e, bt);
    if (bt->kind != IRT_STRUCT) {
        if (is_ptr(bt) && bt->elem->kind == IRT_STRUCT)
            diag_error(e->u.field.name_loc,
                       "'%s' is a pointer; index it to reach the struct (p[0].%s)",
                       sema_type_name(s, bt), fname);
        else
            diag_error(e->u.field.name_loc, "type '%s' has no fields", sema_type_name(s, bt));
        return e->type = NULL;
    }
    for (int i = 0; i < bt->nfields; i++) {
        IrField *f = &bt->fields[i];
        if (strcmp(f->name, fname) != 0)
            continue;
        e->u.field.field_index = i;
        if (f->unmappable || !f->type) {
            diag_error(e->u.field.name_loc, "cannot use field '%s' of '%s': %s", fname, bt->name,
                       f->unmappable ? f->unmappable : "its type has no Claw equivalent");
            return e->type = NULL;
        }
        return e->type = f->type;
    }
    diag_error(e->u.field.name_loc, "no field '%s' in struct '%s'", fname, bt->name);
    return e->type = NULL;
}

static IrType *
check_index(Sema *s, Node *e)
{
    IrType *bt = sema_expr(s, e->u.index.base, NULL);
    IrType *it = sema_expr(s, e->u.index.index, NULL);
    if (!bt || !it)
        return e->type = NULL;
    if (bt->kind != IRT_ARRAY && bt->kind != IRT_VEC && !is_ptr(bt)) {
        diag_error(e->loc, "cannot index a value of type '%s'", sema_type_name(s, bt));
        return e->type = NULL;
    }
    if (!ir_type_is_int(it)) {
        diag_error(e->u.index.index->loc, "index must be an integer, found '%s'",
                   sema_type_name(s, it));
        return e->type = NULL;
    }
    int64_t v;
    if ((bt->kind == IRT_ARRAY || bt->kind == IRT_VEC) && is_const(e->u.index.index) &&
        !const_fits_index(&e->u.index.index->cval, bt->count, &v)) {
        diag_error(e->u.index.index->loc, "index %lld is out of bounds for '%s'", (long long)v,
                   sema_type_name(s, bt));
        return e->type = NULL;
    }
    return e->type = bt->elem;
}

/* ---- literals of aggregates ----------------------------------------------- */

static IrType *
check_struct_lit(Sema *s, Node *e)
{
    const char *name = e->u.slit.name;
    Sym sym = sema_lookup(s, name);
    IrType *st = NULL;
    if (sym.kind == SYM_NONE) {
        if (!cuda_reserved_reported(name)) {
            diag_error(e->loc, "unknown struct '%s'", name);
            cuda_note_spelling(e->loc, name, strlen(name));
        }
    }
    else if (sym.kind != SYM_STRUCT)
        diag_error(e->loc, "'%s' is not a struct type", name);
    else {
        e->u.slit.decl = sym.decl;
        st = sema_struct_ready(s, sym.decl, e->loc);
    }
    if (!st) {
        for (int i = 0; i < e->u.slit.nfields; i++)
            sema_expr(s, e->u.slit.fvals[i], NULL);
        return e->type = NULL;
    }
    bool ok = true;
    bool *seen = arena_alloc(s->a, sizeof(bool) * (size_t)(st->nfields + 1));
    for (int i = 0; i < e->u.slit.nfields; i++) {
        const char *fname = e->u.slit.fnames[i];
        int fi = -1;
        for (int j = 0; j < st->nfields; j++)
            if (strcmp(st->fields[j].name, fname) == 0)
                fi = j;
        SrcLoc floc = e->u.slit.floc ? e->u.slit.floc[i] : e->loc;
        if (fi < 0) {
            diag_error(floc, "no field '%s' in struct '%s'", fname, name);
            sema_expr(s, e->u.slit.fvals[i], NULL);
            ok = false;
            continue;
        }
        if (seen[fi]) {
            diag_error(floc, "field '%s' is given more than once", fname);
            ok = false;
        }
        seen[fi] = true;
        IrField *f = &st->fields[fi];
        if (f->unmappable || !f->type) {
            diag_error(floc, "cannot use field '%s' of '%s': %s", fname, name,
                       f->unmappable ? f->unmappable : "its type has no Claw equivalent");
            ok = false;
            continue;
        }
        if (!sema_expr_as(s, e->u.slit.fvals[i], f->type))
            ok = false;
    }
    for (int j = 0; j < st->nfields; j++) {
        if (!seen[j]) {
            diag_error(e->loc, "missing field '%s' in literal of struct '%s'",
                       st->fields[j].name, name);
            ok = false;
        }
    }
    return e->type = ok ? st : NULL;
}

static IrType *
check_array_lit(Sema *s, Node *e, IrType *want)
{
    int n = e->u.alit.nelems;
    if (n == 0) {
        diag_error(e->loc, "an array literal needs at least one element");
        return e->type = NULL;
    }
    IrType *elem = want && want->kind == IRT_ARRAY ? want->elem : NULL;
    /* the first element with a type of its own sets the element type */
    int anchor = 0;
    for (int i = 0; i < n; i++) {
        if (!sema_untyped(e->u.alit.elems[i])) {
            anchor = i;
            break;
        }
    }
    IrType *t = sema_expr(s, e->u.alit.elems[anchor], elem);
    bool ok = t != NULL;
    for (int i = 0; i < n; i++) {
        if (i == anchor)
            continue;
        Node *x = e->u.alit.elems[i];
        IrType *xt = sema_expr(s, x, t ? t : elem);
        if (!xt) {
            ok = false;
        } else if (t && xt != t) {
            diag_error(x->loc, "array elements must have one type: expected '%s', found '%s'",
                       sema_type_name(s, t), sema_type_name(s, xt));
            ok = false;
        }
    }
    if (!ok)
        return e->type = NULL;
    return e->type = ir_type_array(s->m, t, (uint64_t)n);
}

/* Repeat counts are limited so that a literal cannot make lowering build a
 * value of absurd size. */
enum { SEMA_MAX_REPEAT = 1 << 16 };

static IrType *
check_array_repeat(Sema *s, Node *e, IrType *want)
{
    IrType *elem = want && want->kind == IRT_ARRAY ? want->elem : NULL;
    IrType *t = sema_expr(s, e->u.alit.elems[0], elem);
    Node *c = e->u.alit.count_expr;
    IrType *ct = sema_expr(s, c, NULL);
    if (!ct)
        return e->type = NULL;
    if (!ir_type_is_int(ct) || !is_const(c)) {
        diag_error(c->loc, "array repeat count must be an integer constant");
        return e->type = NULL;
    }
    if (c->cval.i == 0 || (ct->is_signed && ir_sext(c->cval.i, ct->bits) < 0)) {
        diag_error(c->loc, "array repeat count must be positive");
        return e->type = NULL;
    }
    if (c->cval.i > SEMA_MAX_REPEAT) {
        diag_error(c->loc, "array repeat count %llu is too large (at most %d)",
                   (unsigned long long)c->cval.i, SEMA_MAX_REPEAT);
        return e->type = NULL;
    }
    e->u.alit.count = c->cval.i;
    if (!t)
        return e->type = NULL;
    return e->type = ir_type_array(s->m, t, e->u.alit.count);
}

/* ---- calls ------------------------------------------------------------------ */

static void
check_args_loose(Sema *s, Node *e, int from)
{
    for (int i = from; i < e->u.call.nargs; i++)
        sema_expr(s, e->u.call.args[i], NULL);
}

static bool
check_arg_count(Sema *s, Node *e, const char *name, int n)
{
    if (e->u.call.nargs == n)
        return true;
    diag_error(e->loc, "wrong number of arguments to '%s': expected %d argument%s, found %d", name,
               n, n == 1 ? "" : "s", e->u.call.nargs);
    check_args_loose(s, e, 0);
    return false;
}

/* Checks args[from..] as values of one type, the first typed one setting it
 * (so `min(x, 0)` makes 0 the type of x). Returns that type or NULL. */
static IrType *
same_type_args(Sema *s, Node *e, int from, IrType *want, const char *name)
{
    Node **args = e->u.call.args;
    int n = e->u.call.nargs, anchor = from;
    for (int i = from; i < n; i++) {
        if (!sema_untyped(args[i])) {
            anchor = i;
            break;
        }
    }
    IrType *t = sema_expr(s, args[anchor], want);
    IrType *hint = t ? ir_type_scalar_of(t) : ir_type_scalar_of(want);
    for (int i = from; i < n; i++)
        if (i != anchor)
            sema_expr(s, args[i], ir_type_is_vec(t) ? hint : t ? t : want);
    for (int i = from; i < n; i++)
        if (!args[i]->type)
            return NULL;
    /* with a vector among them, the others may be that vector or scalars of
     * its element type, which stand for every component (§11) */
    for (int i = from; i < n; i++) {
        if (ir_type_is_vec(args[i]->type)) {
            IrType *vt = args[i]->type;
            for (int k = from; k < n; k++) {
                IrType *at = args[k]->type;
                if (at != vt && at != vt->elem) {
                    diag_error(args[k]->loc, "mismatched types '%s' and '%s' in call to '%s'",
                               sema_type_name(s, vt), sema_type_name(s, at), name);
                    return NULL;
                }
            }
            return vt;
        }
    }
    for (int i = from; i < n; i++) {
        if (args[i]->type != t) {
            diag_error(args[i]->loc, "mismatched types '%s' and '%s' in call to '%s'",
                       sema_type_name(s, t), sema_type_name(s, args[i]->type), name);
            return NULL;
        }
    }
    return t;
}

static bool
all_const(Node *e, int from)
{
    for (int i = from; i < e->u.call.nargs; i++)
        if (!is_const(e->u.call.args[i]))
            return false;
    return true;
}

/* min and max as the targets compute them: floats return the non-NaN
 * operand (IR MIN/MAX), integers compare by signedness. */
static void
fold_minmax(Node *e, const ConstVal *a, const ConstVal *b, bool is_max)
{
    IrType *t = a->type;
    if (ir_type_is_float(t)) {
        set_float(e, t, is_max ? fmax(a->f, b->f) : fmin(a->f, b->f));
        return;
    }
    bool less = t->is_signed ? ir_sext(a->i, t->bits) < ir_sext(b->i, t->bits) : a->i < b->i;
    set_int(e, t, (less != is_max) ? a->i : b->i);
}

static void
fold_builtin(Node *e, Builtin bi)
{
    Node **args = e->u.call.args;
    IrType *t = e->type;
    switch (bi) {
    case BI_ABS:
        if (ir_type_is_float(t))
            set_float(e, t, fabs(args[0]->cval.f));
        else if (t->is_signed && ir_sext(args[0]->cval.i, t->bits) < 0)
            set_int(e, t, (uint64_t)0 - args[0]->cval.i); /* abs(MIN) == MIN */
        else
            set_int(e, t, args[0]->cval.i);
        break;
    case BI_MIN:
    case BI_MAX:
        fold_minmax(e, &args[0]->cval, &args[1]->cval, bi == BI_MAX);
        break;
    case BI_CLAMP: {
        Node tmp = *e;
        fold_minmax(&tmp, &args[0]->cval, &args[1]->cval, true);
        fold_minmax(e, &tmp.cval, &args[2]->cval, false);
        break;
    }
    case BI_SELECT:
        if (ir_type_is_numeric(t) || is_bool(t))
            e->cval = args[0]->cval.i ? args[1]->cval : args[2]->cval;
        break;
    /* the correctly rounded math functions; the others depend on each
     * target's library and are left to run time */
    case BI_SQRT: set_float(e, t, sqrt(args[0]->cval.f)); break;
    case BI_FLOOR: set_float(e, t, floor(args[0]->cval.f)); break;
    case BI_CEIL: set_float(e, t, ceil(args[0]->cval.f)); break;
    case BI_TRUNC: set_float(e, t, trunc(args[0]->cval.f)); break;
    case BI_ROUND: set_float(e, t, round(args[0]->cval.f)); break;
    case BI_FMA:
        /* f16 products are exact in double but the sum could round twice */
        if (t->bits == 64)
            set_float(e, t, fma(args[0]->cval.f, args[1]->cval.f, args[2]->cval.f));
        else if (t->bits == 32)
            set_float(e, t, fmaf((float)args[0]->cval.f, (float)args[1]->cval.f,
                                 (float)args[2]->cval.f));
        break;
    default:
        /* only BIF_FOLD builtins come here (builtins.def) */
        ICE("builtin '%s' is marked BIF_FOLD but has no folding", builtin_info[bi].name);
    }
}

/* The complaint about an argument outside the type class c, after "'name' ". */
static const char *
class_complaint(Sema *s, IrTypeClass c)
{
    switch (c) {
    case IRC_FLOAT: return "needs a float argument (f16, bf16, f32 or f64)";
    case IRC_NUMERIC: return "needs a numeric argument";
    case IRC_BOOL: return "needs a 'bool' argument";
    case IRC_NONE:
    case IRC_INT:
    case IRC_INT_BOOL:
    case IRC_U32:
    case IRC_ATOMIC:
    case IRC_ATOMIC_F32:
    case IRC_SUBGROUP:
    case IRC_SHUFFLE: break;
    }
    return arena_printf(s->a, "works on %s", ir_type_class_name(c));
}

/* Checks that the type t of argument arg is in class c; reports if not. */
static bool
check_class(Sema *s, Node *arg, const char *name, IrType *t, IrTypeClass c)
{
    if (ir_type_in_class(t, c))
        return true;
    diag_error(arg->loc, "'%s' %s, found '%s'", name, class_complaint(s, c),
               sema_type_name(s, t));
    return false;
}

/* Refuses a vector argument of a builtin without BIF_VEC (atomics and
 * subgroup functions, §11). */
static bool
no_vector(Sema *s, Node *arg, const char *name, IrType *t, bool vec_ok)
{
    if (vec_ok || !ir_type_is_vec(t))
        return true;
    diag_error(arg->loc, "'%s' does not take vectors, found '%s' (apply it to each component)",
               name, sema_type_name(s, t));
    return false;
}

/* vecN<T>(args) (§11): scalars of T and vectors of T whose components add
 * up to N, or one scalar that fills every component. */
static IrType *
check_vec_ctor(Sema *s, Node *e)
{
    IrType *vt = sema_resolve_type(s, e->u.call.callee);
    int total = 0;
    bool ok = vt != NULL;
    for (int i = 0; i < e->u.call.nargs; i++) {
        Node *a = e->u.call.args[i];
        IrType *at = sema_expr(s, a, vt ? vt->elem : NULL);
        if (!at || !vt) {
            ok = false;
            continue;
        }
        if (at == vt->elem) {
            total += 1;
        } else if (ir_type_is_vec(at) && at->elem == vt->elem) {
            total += (int)at->count;
        } else {
            diag_error(a->loc, "'%s' is built from '%s' scalars and vectors, found '%s'",
                       sema_type_name(s, vt), sema_type_name(s, vt->elem), sema_type_name(s, at));
            ok = false;
        }
    }
    if (!ok)
        return e->type = NULL;
    bool splat = e->u.call.nargs == 1 && e->u.call.args[0]->type == vt->elem;
    if (!splat && total != (int)vt->count) {
        diag_error(e->loc, "'%s' needs %u components (or one scalar for all of them), found %d",
                   sema_type_name(s, vt), (unsigned)vt->count, total);
        return e->type = NULL;
    }
    return e->type = vt;
}

/* A builtin call, checked from its row of builtins.def and the type class of
 * its IR op (ops.def). */
static IrType *
check_builtin_call(Sema *s, Node *e, Builtin bi, const char *name, IrType *want)
{
    const BuiltinInfo *info = &builtin_info[bi];
    IrTypeClass c = ir_op_type_class(info->op);
    Node **args = e->u.call.args;
    IrType *u32 = ir_type_int(s->m, 32, false);
    if (!check_arg_count(s, e, name, info->nargs))
        return NULL;
    /* untyped arguments default to the wanted type if it is in the class,
     * else to f32 for float builtins (so `sqrt(2.0)` is f32) */
    IrType *wants = ir_type_scalar_of(want);
    IrType *hint = wants && ir_type_in_class(wants, c) ? wants
                   : c == IRC_FLOAT                    ? ir_type_float(s->m, 32)
                                                       : NULL;
    IrType *t = NULL;
    bool vec_ok = info->flags & BIF_VEC;
    switch (info->args) {
    case BA_NONE:
        break;
    case BA_SAME:
        t = same_type_args(s, e, 0, hint, name);
        if (!t || !no_vector(s, args[0], name, t, vec_ok) ||
            !check_class(s, args[0], name, ir_type_scalar_of(t), c))
            return NULL;
        break;
    case BA_SELECT: {
        IrType *bt = ir_type_bool(s->m);
        IrType *ct = sema_expr(s, args[0], bt);
        t = same_type_args(s, e, 1, hint, name);
        bool vcond = ir_type_is_vec(ct) && ct->elem == bt;
        if (ct && ct != bt && !vcond) {
            diag_error(args[0]->loc, "condition of '%s' must be 'bool' or a bool vector, found '%s'",
                       name, sema_type_name(s, ct));
            return NULL;
        }
        if (!ct || !t)
            return NULL;
        if (t->kind == IRT_VOID) {
            diag_error(args[1]->loc, "'%s' needs values, found 'void'", name);
            return NULL;
        }
        if (ir_type_has_matrix(t)) {
            diag_error(args[1]->loc, "'%s' does not take matrices; use if/else", name);
            return NULL;
        }
        if (vcond) {
            /* per component (§11); scalar values stand for every component */
            if (ir_type_is_vec(t) ? t->count != ct->count
                                  : !(ir_type_is_numeric(t) || is_bool(t))) {
                diag_error(args[1]->loc,
                           "'%s' with a '%s' condition picks between vectors of %u components "
                           "or scalars, found '%s'",
                           name, sema_type_name(s, ct), (unsigned)ct->count, sema_type_name(s, t));
                return NULL;
            }
            if (!ir_type_is_vec(t))
                t = ir_type_vec(s->m, t, (uint32_t)ct->count);
        }
        break;
    }
    case BA_REDUCE:
    case BA_DOT:
    case BA_BOOLVEC: {
        t = info->args == BA_DOT ? same_type_args(s, e, 0, NULL, name) : sema_expr(s, args[0], NULL);
        if (!t)
            return NULL;
        IrType *el = ir_type_is_vec(t) ? t->elem : NULL;
        bool ok = info->args == BA_BOOLVEC ? el && is_bool(el) : el && ir_type_in_class(el, c);
        if (!ok || (info->args == BA_DOT && args[1]->type != t)) {
            const char *need = info->args == BA_BOOLVEC ? "a bool vector"
                               : info->args == BA_DOT   ? "two float vectors of one type"
                                                        : "a vector of numbers";
            diag_error(args[0]->loc, "'%s' takes %s, found '%s'", name, need,
                       sema_type_name(s, info->args == BA_DOT && ok ? args[1]->type : t));
            return NULL;
        }
        break;
    }
    case BA_MATRIX:
        return sema_matrix_call(s, e, bi, name, want);
    case BA_PLACE: {
        t = sema_expr(s, args[0], NULL);
        bool ok = t && no_vector(s, args[0], name, t, false) && sema_check_place(s, args[0], name);
        if (ok)
            ok = check_class(s, args[0], name, t, c);
        for (int i = 1; i < info->nargs; i++) {
            if (ok)
                ok = sema_expr_as(s, args[i], t);
            else
                sema_expr(s, args[i], NULL);
        }
        if (!ok)
            return NULL;
        break;
    }
    case BA_LANE: {
        t = sema_expr(s, args[0], hint);
        bool ok = t && no_vector(s, args[0], name, t, false) && check_class(s, args[0], name, t, c);
        /* the lane or mask is a u32 (§7) */
        if (!sema_expr_as(s, args[1], u32))
            ok = false;
        if (!ok)
            return NULL;
        break;
    }
    }
    switch (info->result) {
    case BR_VOID: return ir_type_void(s->m);
    case BR_U32: return u32;
    case BR_ARG: break;
    case BR_ELEM: t = t->elem; break;
    }
    e->type = t;
    if ((info->flags & BIF_FOLD) && all_const(e, 0))
        fold_builtin(e, bi);
    return t;
}

static IrType *
check_call(Sema *s, Node *e, IrType *want)
{
    Node *callee = e->u.call.callee;
    if (callee->kind != ND_NAME) {
        diag_error(callee->loc, "only functions can be called");
        sema_expr(s, callee, NULL);
        check_args_loose(s, e, 0);
        return e->type = NULL;
    }
    const char *name = callee->u.name.name;
    Sym sym = sema_lookup(s, name);
    bind_name(callee, &sym);
    if (sym.kind == SYM_BUILTIN_FN) {
        e->type = NULL;
        IrType *t = check_builtin_call(s, e, sym.builtin, name, want);
        e->type = t;
        return t;
    }
    if (sym.kind != SYM_FUNC) {
        if (sym.kind == SYM_NONE) {
            if (!cuda_reserved_reported(name)) {
                diag_error(callee->loc, "unknown function '%s'", name);
                cuda_note_spelling(callee->loc, name, strlen(name));
            }
        } else
            diag_error(callee->loc, "'%s' is not a function", name);
        check_args_loose(s, e, 0);
        return e->type = NULL;
    }
    Decl *d = sym.decl;
    if (d->kind == DECL_KERNEL) {
        diag_error(callee->loc,
                   "cannot call kernel '%s': kernels are entry points launched from the host",
                   name);
        check_args_loose(s, e, 0);
        return e->type = NULL;
    }
    sema_add_edge(s, d, callee->loc);
    bool ok = true;
    if (e->u.call.nargs != d->u.fn.nparams) {
        check_arg_count(s, e, name, d->u.fn.nparams);
        ok = false;
    } else {
        for (int i = 0; i < e->u.call.nargs; i++)
            if (!sema_expr_as(s, e->u.call.args[i], d->u.fn.params[i]->u.var.decl_type))
                ok = false;
    }
    return e->type = ok ? d->u.fn.ret : NULL;
}

/* ---- entry points ---------------------------------------------------------- */

IrType *
sema_expr(Sema *s, Node *e, IrType *want)
{
    e->cval.type = NULL;
    switch (e->kind) {
    case ND_INT_LIT:
        return int_literal(s, e, want, false, e->loc);
    case ND_FLOAT_LIT:
        return float_literal(s, e, want, false, e->loc);
    case ND_BOOL_LIT:
        e->type = ir_type_bool(s->m);
        set_int(e, e->type, e->u.lit.bval);
        return e->type;
    case ND_NULL_LIT:
        /* §11: the pointer type its context needs, and only that */
        if (want && is_ptr(want))
            return e->type = want;
        if (want)
            diag_error(e->loc, "'null' is a pointer, but a value of type '%s' is expected",
                       sema_type_name(s, want));
        else
            diag_error(e->loc, "'null' needs a pointer type from its context (annotate it: let p: "
                               "*f32 = null;)");
        return e->type = NULL;
    case ND_NAME:
        return e->type = check_name(s, e);
    case ND_UNARY:
        return check_unary(s, e, want);
    case ND_BINARY:
        return check_binary(s, e, want);
    case ND_CAST:
        return check_cast(s, e);
    case ND_CALL:
        return check_call(s, e, want);
    case ND_INDEX:
        return check_index(s, e);
    case ND_FIELD:
        return check_field(s, e);
    case ND_STRUCT_LIT:
        return check_struct_lit(s, e);
    case ND_ARRAY_LIT:
        return check_array_lit(s, e, want);
    case ND_ARRAY_REPEAT:
        return check_array_repeat(s, e, want);
    case ND_VEC_CTOR:
        return check_vec_ctor(s, e);
    default:
        diag_error(e->loc, "expected an expression");
        return e->type = NULL;
    }
}

bool
sema_assignable(IrType *have, IrType *want)
{
    if (have == want)
        return true;
    /* §2: the one implicit conversion, *T to *const T */
    return is_ptr(have) && is_ptr(want) && want->is_const && have->elem == want->elem &&
           have->space == want->space;
}

bool
sema_expr_as(Sema *s, Node *e, IrType *want)
{
    IrType *t = sema_expr(s, e, want);
    if (!t || !want)
        return false;
    if (sema_assignable(t, want))
        return true;
    if (t->kind == IRT_VOID)
        diag_error(e->loc, "expected a value of type '%s', but this call returns nothing",
                   sema_type_name(s, want));
    else
        diag_error(e->loc, "mismatched types: expected '%s', found '%s'", sema_type_name(s, want),
                   sema_type_name(s, t));
    return false;
}
