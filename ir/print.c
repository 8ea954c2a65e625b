/* print.c: the textual Claw IR written by `clawc --emit=claw-ir`.
 *
 * The format is fixed because lit tests match it (docs/ir.md): one
 * instruction per line, `%ID = op operands : type` for values, nested
 * regions indented by two spaces, and `; line:col` aligned at column 50.
 * Each line is built in a scratch buffer first so the location comment can
 * be aligned after the text is known. The printer does not assume a valid
 * module (it helps debug broken ones), so missing operands and types print
 * as placeholders instead of crashing. */
#include "ir.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LOC_COLUMN = 49 }; /* 0-based column of the `;` (column 50) */

typedef struct Printer {
    IrModule *m;
    Buf *out;
    Buf line; /* the line being built */
} Printer;

static void
put(Printer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(Printer *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&p->line, fmt, ap);
    va_end(ap);
}

/* Ends the current line, adding the aligned location comment if any. */
static void
end_line(Printer *p, SrcLoc loc)
{
    buf_append(p->out, p->line.data, p->line.len);
    if (loc.line) {
        size_t pad = p->line.len < LOC_COLUMN ? LOC_COLUMN - p->line.len : 1;
        buf_printf(p->out, "%*s; %u:%u", (int)pad, "", loc.line, loc.col);
    }
    buf_append(p->out, "\n", 1);
    p->line.len = 0;
}

static void
indent(Printer *p, int depth)
{
    put(p, "%*s", depth * 2, "");
}

IrSyntax
ir_op_syntax(IrOp op)
{
    switch (op) {
    case IR_CONST: return IRS_CONST;
    case IR_PARAM: return IRS_PARAM;
    case IR_THREAD_ID:
    case IR_BLOCK_ID:
    case IR_BLOCK_DIM:
    case IR_GRID_DIM:
    case IR_GLOBAL_ID: return IRS_DIM;
    case IR_SHARED: return IRS_SHARED;
    case IR_CALL: return IRS_CALL;
    case IR_LOCAL: return IRS_LOCAL;
    case IR_FIELD_PTR:
    case IR_EXTRACT:
    case IR_INSERT:
    case IR_MAT_LOAD:
    case IR_MAT_STORE:
    case IR_MMA_FRAG: return IRS_INDEX;
    case IR_IF: return IRS_IF;
    case IR_LOOP: return IRS_LOOP;
    case IR_ZERO: case IR_UNDEF: case IR_ADD: case IR_SUB: case IR_MUL: case IR_DIV:
    case IR_REM: case IR_AND: case IR_OR: case IR_XOR: case IR_SHL: case IR_SHR: case IR_NEG:
    case IR_NOT: case IR_EQ: case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE:
    case IR_CAST: case IR_BITCAST: case IR_SELECT: case IR_LOAD: case IR_STORE: case IR_ELEM_PTR:
    case IR_PTR_ADD: case IR_COMPOSITE: case IR_BARRIER: case IR_SQRT: case IR_RSQRT:
    case IR_EXP: case IR_EXP2: case IR_LOG: case IR_LOG2: case IR_SIN: case IR_COS:
    case IR_TAN: case IR_TANH: case IR_POW: case IR_FLOOR: case IR_CEIL: case IR_ROUND:
    case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS: case IR_MIN: case IR_MAX: case IR_CLAMP: case IR_FMA:
    case IR_ATOMIC_ADD: case IR_ATOMIC_SUB: case IR_ATOMIC_MIN: case IR_ATOMIC_MAX:
    case IR_ATOMIC_AND: case IR_ATOMIC_OR: case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG:
    case IR_ATOMIC_CAS: case IR_LANE_ID: case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID:
    case IR_NUM_SUBGROUPS: case IR_SHUFFLE: case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM:
    case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL: case IR_MAT_FILL: case IR_MAT_MMA: case IR_MAT_SG_SIZE: case IR_MAT_SCALE: case IR_MAT_ADD: case IR_MAT_SUB:
    case IR_BREAK: case IR_CONTINUE: case IR_RETURN: return IRS_PLAIN;
    case IR_NUM_OPS: break;
    }
    return IRS_PLAIN;
}

bool
ir_name_is_plain(const char *s)
{
    if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return false;
    for (const char *c = s + 1; *c; c++)
        if (!(*c == '_' || *c == '.' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9')))
            return false;
    return true;
}

/* Words with a meaning where a type is expected: a struct spelled like one
 * of them is quoted, so `struct f32` from a C header cannot pass for f32. */
static bool
type_word(const char *s)
{
    static const char *const words[] = {
        "void", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64",
        "f16", "bf16", "f32", "f64", "const", "shared", "private", "unmappable", "mat_a",
        "mat_b", "mat_acc",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return true;
    return false;
}

/* A string in double quotes: backslash and quote escaped, bytes outside
 * printable ASCII as \xHH, so any name reads back byte for byte. */
static void
put_quoted(Printer *p, const char *s)
{
    put(p, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(p, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            put(p, "\\x%02x", c);
        else
            put(p, "%c", c);
    }
    put(p, "\"");
}

/* A name: as is when plain (docs/ir.md), quoted otherwise. */
static void
put_name(Printer *p, const char *s)
{
    if (ir_name_is_plain(s))
        put(p, "%s", s);
    else
        put_quoted(p, s ? s : "");
}

/* Types as ir_type_name spells them, except that struct names go through
 * put_name. Nesting is bounded by the front end and the reader (256). */
static void
put_type(Printer *p, const IrType *t)
{
    if (!t) {
        put(p, "<null>");
        return;
    }
    switch (t->kind) {
    case IRT_PTR:
        put(p, "*%s%s", t->space == IR_SPACE_SHARED    ? "shared "
                        : t->space == IR_SPACE_PRIVATE ? "private "
                                                       : "",
            t->is_const ? "const " : "");
        put_type(p, t->elem);
        return;
    case IRT_ARRAY:
        put(p, "[");
        put_type(p, t->elem);
        put(p, "; %" PRIu64 "]", t->count);
        return;
    case IRT_STRUCT:
        if (t->name && type_word(t->name))
            put_quoted(p, t->name);
        else
            put_name(p, t->name);
        return;
    case IRT_MATRIX:
        /* one word, so that the reader's identifiers take it: mat_a.f16.16x16 */
        put(p, "%s.", ir_mat_role_name(t->mat_role));
        put_type(p, t->elem);
        put(p, ".%ux%u", t->rows, t->cols);
        return;
    case IRT_VOID:
    case IRT_BOOL:
    case IRT_INT:
    case IRT_FLOAT:
    case IRT_VEC:
        put(p, "%s", ir_type_name(p->m, t));
        return;
    }
    put(p, "<bad type %d>", (int)t->kind);
}

static void
put_value(Printer *p, const IrInst *v)
{
    if (v)
        put(p, "%%%u", v->id);
    else
        put(p, "%%<null>");
}

/* Floats: the shortest of `%g` and the full-precision form that reads back
 * as the same value in the constant's type (docs/ir.md). */
static void
put_float(Printer *p, const IrType *t, double v)
{
    char text[64];
    if (v != v) {
        /* NaN: "nan"/"-nan" for the default quiet NaN, otherwise its bits,
         * so that a constant's payload survives the text form. */
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        if ((bits & ~(UINT64_C(1) << 63)) == UINT64_C(0x7ff8000000000000))
            put(p, "%snan", bits >> 63 ? "-" : "");
        else
            put(p, "nan(0x%016" PRIx64 ")", bits);
        return;
    }
    bool wide = t && t->bits == 64;
    snprintf(text, sizeof text, "%g", v);
    bool same = wide ? strtod(text, NULL) == v : strtof(text, NULL) == (float)v;
    if (!same)
        snprintf(text, sizeof text, wide ? "%.17g" : "%.9g", v);
    put(p, "%s", text);
}

static void
put_const(Printer *p, const IrInst *in)
{
    const IrType *t = in->type;
    if (ir_type_is_float(t)) {
        put_float(p, t, in->imm.f);
    } else if (t && t->kind == IRT_BOOL) {
        put(p, "%s", in->imm.i ? "true" : "false");
    } else if (t && t->kind == IRT_INT && t->is_signed) {
        /* Sign-extend from the type's width: bits above it are zero. */
        uint64_t v = in->imm.i;
        if (t->bits < 64 && (v >> (t->bits - 1)) & 1)
            v |= ~(uint64_t)0 << t->bits;
        put(p, "%" PRId64, (int64_t)v);
    } else {
        put(p, "%" PRIu64, in->imm.i);
    }
}

static void print_region(Printer *p, const IrRegion *r, int depth);

/* The operands of a plain instruction: " %a, %b". */
static void
put_operands(Printer *p, const IrInst *in)
{
    for (int i = 0; i < in->nops; i++) {
        put(p, "%s", i ? ", " : " ");
        put_value(p, in->ops ? in->ops[i] : NULL);
    }
}

static void
print_inst(Printer *p, const IrInst *in, int depth)
{
    static const char dims[] = "xyz";
    indent(p, depth);
    if (!in) {
        put(p, "<null instruction>");
        end_line(p, (SrcLoc){0});
        return;
    }
    IrSyntax syn = ir_op_syntax(in->op);
    if (syn == IRS_IF) {
        put(p, "if ");
        put_value(p, in->nops > 0 && in->ops ? in->ops[0] : NULL);
        put(p, " {");
        end_line(p, in->loc);
        print_region(p, &in->then_r, depth + 1);
        indent(p, depth);
        put(p, "} else {");
        end_line(p, (SrcLoc){0});
        print_region(p, &in->else_r, depth + 1);
        indent(p, depth);
        put(p, "}");
        end_line(p, (SrcLoc){0});
        return;
    }
    if (syn == IRS_LOOP) {
        put(p, "loop ");
        if (in->unroll == IR_UNROLL_FULL)
            put(p, "unroll(full) ");
        else if (in->unroll > 0)
            put(p, "unroll(%d) ", in->unroll);
        put(p, "{");
        end_line(p, in->loc);
        print_region(p, &in->body_r, depth + 1);
        indent(p, depth);
        put(p, "} continuing {");
        end_line(p, (SrcLoc){0});
        print_region(p, &in->cont_r, depth + 1);
        indent(p, depth);
        put(p, "}");
        if (in->break_if) {
            put(p, " break_if ");
            put_value(p, in->break_if);
        }
        end_line(p, (SrcLoc){0});
        return;
    }

    int flags = ir_op_flags(in->op);
    bool has_value = (flags & IRF_VALUE) && in->type && in->type->kind != IRT_VOID;
    if (has_value)
        put(p, "%%%u = ", in->id);
    put(p, "%s", ir_op_name(in->op));
    switch (syn) {
    case IRS_CONST:
        put(p, " ");
        put_const(p, in);
        break;
    case IRS_PARAM:
        put(p, " %d", in->imm.index);
        break;
    case IRS_DIM:
        put(p, ".%c", in->imm.dim >= 0 && in->imm.dim < 3 ? dims[in->imm.dim] : '?');
        break;
    case IRS_SHARED:
        put(p, " @");
        put_name(p, in->imm.shared ? in->imm.shared->name : "<null>");
        break;
    case IRS_CALL:
        put(p, " @");
        put_name(p, in->imm.callee ? in->imm.callee->name : "<null>");
        put(p, "(");
        for (int i = 0; i < in->nops; i++) {
            put(p, "%s", i ? ", " : "");
            put_value(p, in->ops ? in->ops[i] : NULL);
        }
        put(p, ")");
        break;
    case IRS_LOCAL:
        /* A slot prints the type it holds, not its pointer type. */
        if (in->name) {
            put(p, " ");
            put_name(p, in->name);
        }
        put(p, " : ");
        put_type(p, in->type && in->type->kind == IRT_PTR ? in->type->elem : in->type);
        end_line(p, in->loc);
        return;
    case IRS_INDEX:
        put_operands(p, in);
        put(p, ", %d", in->imm.index);
        break;
    case IRS_PLAIN:
    case IRS_IF:
    case IRS_LOOP:
        put_operands(p, in);
        break;
    }
    if (has_value) {
        put(p, " : ");
        put_type(p, in->type);
    }
    end_line(p, in->loc);
}

static void
print_region(Printer *p, const IrRegion *r, int depth)
{
    for (int i = 0; i < r->len; i++)
        print_inst(p, r->insts[i], depth);
}

static void
print_func(Printer *p, const IrFunc *f)
{
    put(p, "%s @", f->is_kernel ? "kernel" : "fn");
    put_name(p, f->name);
    put(p, "(");
    for (int i = 0; i < f->nparams; i++) {
        put(p, "%s", i ? ", " : "");
        put_value(p, f->param_values ? f->param_values[i] : NULL);
        put(p, " ");
        if (f->params[i].name && f->params[i].name[0])
            put_name(p, f->params[i].name);
        put(p, ": ");
        put_type(p, f->params[i].type);
    }
    put(p, ")");
    if (f->is_kernel && (f->workgroup[0] || f->workgroup[1] || f->workgroup[2]))
        put(p, " workgroup(%u, %u, %u)", f->workgroup[0], f->workgroup[1], f->workgroup[2]);
    if (!f->is_kernel && f->ret && f->ret->kind != IRT_VOID) {
        put(p, " -> ");
        put_type(p, f->ret);
    }
    put(p, " {");
    end_line(p, f->loc);
    for (int i = 0; i < f->locals.len; i++)
        print_inst(p, f->locals.data[i], 1);
    print_region(p, &f->body, 1);
    put(p, "}");
    end_line(p, (SrcLoc){0});
}

void
ir_print_module(IrModule *m, Buf *out)
{
    Printer p = {.m = m, .out = out};
    put(&p, "; claw-ir module ");
    put_quoted(&p, m->source_name ? m->source_name : "");
    end_line(&p, (SrcLoc){0});
    /* Struct layouts, in creation order: the C-layout contract with the host
     * (docs/language.md §2, §9) made visible, e.g.
     * `struct Pair { key: u32 @0, value: f32 @4 } size 8 align 4`. A struct
     * from a C header that Claw cannot use says why instead of its fields. */
    for (int i = 0; i < m->types.len; i++) {
        const IrType *t = m->types.data[i];
        if (t->kind != IRT_STRUCT)
            continue;
        put(&p, "struct ");
        put_type(&p, t);
        if (t->unmappable) {
            put(&p, " unmappable ");
            put_quoted(&p, t->unmappable);
        } else {
            put(&p, " {");
            for (int f = 0; f < t->nfields; f++) {
                put(&p, "%s ", f ? "," : "");
                put_name(&p, t->fields[f].name ? t->fields[f].name : "?");
                put(&p, ": ");
                if (t->fields[f].type) {
                    put_type(&p, t->fields[f].type);
                } else {
                    put(&p, "unmappable ");
                    put_quoted(&p, t->fields[f].unmappable ? t->fields[f].unmappable : "?");
                }
                put(&p, " @%llu", (unsigned long long)t->fields[f].offset);
            }
            put(&p, " }");
        }
        put(&p, " size %llu align %llu", (unsigned long long)t->size,
            (unsigned long long)t->align);
        end_line(&p, t->loc);
    }
    for (int i = 0; i < m->shared.len; i++) {
        IrShared *s = m->shared.data[i];
        put(&p, "shared @");
        put_name(&p, s->name);
        put(&p, " : ");
        put_type(&p, s->type);
        end_line(&p, s->loc);
    }
    for (int i = 0; i < m->funcs.len; i++) {
        end_line(&p, (SrcLoc){0});
        print_func(&p, m->funcs.data[i]);
    }
    buf_free(&p.line);
}
