/* cimport.c: `import "x.h";` through libclang (docs/language.md §9).
 *
 * The header is parsed as C11 with the host's data model. A visitor walks the
 * top-level declarations of the non-system files and maps:
 *   - struct definitions (and typedefs of anonymous structs) to IrType
 *     structs with exactly the offsets, size and alignment libclang reports;
 *   - enum constants to i32 constants (or the fixed underlying type);
 *   - object-like macros whose body is one numeric literal (optionally signed
 *     and parenthesised) to constants typed as C types that literal;
 *   - `static const` scalars to constants (value from clang_Cursor_Evaluate).
 * A declaration that cannot be mapped (bit-fields, unions, function
 * pointers, flexible array members, vectors, anonymous members) is still
 * returned, with `unmappable` saying why, so sema can report it where Claw
 * code uses it. Every file the preprocessor read is remembered for -MD.
 *
 * Imports are deduplicated by declaration name and origin across the whole
 * compilation, so importing a header twice, or two headers that include a
 * third, declares each thing once. */
#include "front.h"

#include <clang-c/Index.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct Imported {
    const char *name;   /* Claw-level name */
    const char *usr;    /* libclang's unified symbol resolution: identity */
} Imported;

/* The imports of one compilation (front.h): made by the driver with
 * cimport_new, reached through SemaOptions.imports, freed with cimport_free. */
struct CImport {
    Arena *arena;       /* owns the vectors and strings below */
    PtrVec deps;        /* char *: every file read by an import, absolute or as given */
    PtrVec done;        /* Imported *: declarations already handed to sema */
    PtrVec structs;     /* IrType *: struct types created (in the module), to reuse by USR */
    PtrVec struct_usrs; /* char *: USR of each entry in structs */
    PtrVec headers;     /* char *: headers registered with diag */
    PtrVec header_ids;  /* their diag file indexes, as uintptr_t */
};

CImport *
cimport_new(void)
{
    Arena *a = arena_new();
    CImport *imp = arena_alloc(a, sizeof *imp);
    imp->arena = a;
    return imp;
}

void
cimport_free(CImport *imp)
{
    if (imp)
        arena_free(imp->arena);
}

int
cimport_ndeps(const CImport *imp)
{
    return imp ? imp->deps.len : 0;
}

const char *
cimport_dep(const CImport *imp, int i)
{
    return imp->deps.data[i];
}

typedef struct Ctx {
    CImport *imp;
    Arena *a;
    IrModule *m;
    CXTranslationUnit tu;
    PtrVec *out;
    bool failed;
} Ctx;

static char *
cx_str(Arena *a, CXString s)
{
    const char *c = clang_getCString(s);
    char *r = arena_strdup(a, c ? c : "");
    clang_disposeString(s);
    return r;
}

static bool
file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Registers a header with the diagnostics (once) so its lines get carets. */
static uint32_t
header_file_index(CImport *imp, const char *path)
{
    for (int i = 0; i < imp->headers.len; i++)
        if (strcmp(imp->headers.data[i], path) == 0)
            return (uint32_t)(uintptr_t)imp->header_ids.data[i];
    size_t len = 0;
    char *heap = buf_read_file(path, &len);
    if (!heap)
        len = 0;
    /* diag keeps its own copy of the text, for carets */
    uint32_t id = diag_add_file(path, heap ? heap : "", len);
    free(heap);
    ptrvec_push(imp->arena, &imp->headers, arena_strdup(imp->arena, path));
    ptrvec_push(imp->arena, &imp->header_ids, (void *)(uintptr_t)id);
    return id;
}

static SrcLoc
cursor_loc(Ctx *cx, CXCursor c, const char **origin)
{
    Arena *a = cx->a;
    CXFile file;
    unsigned line, col, off;
    clang_getSpellingLocation(clang_getCursorLocation(c), &file, &line, &col, &off);
    SrcLoc loc = {0, line, col};
    char *name = file ? cx_str(a, clang_getFileName(file)) : arena_strdup(a, "<unknown>");
    if (file)
        loc.file = header_file_index(cx->imp, name);
    if (origin)
        *origin = arena_printf(a, "%s:%u:%u", name, line, col);
    return loc;
}

static bool
already_done(const CImport *imp, const char *usr)
{
    for (int i = 0; i < imp->done.len; i++) {
        Imported *d = imp->done.data[i];
        if (strcmp(d->usr, usr) == 0)
            return true;
    }
    return false;
}

static void
mark_done(CImport *imp, const char *name, const char *usr)
{
    Imported *d = arena_alloc(imp->arena, sizeof *d);
    d->name = arena_strdup(imp->arena, name);
    d->usr = arena_strdup(imp->arena, usr);
    ptrvec_push(imp->arena, &imp->done, d);
}

static IrType *map_record(Ctx *cx, CXType t, const char **why);

/* Maps a C type to a Claw type, or returns NULL and sets *why. */
static IrType *
map_type(Ctx *cx, CXType t, const char **why)
{
    IrModule *m = cx->m;
    t = clang_getCanonicalType(t);
    long long size = clang_Type_getSizeOf(t);
    switch (t.kind) {
    case CXType_Bool:
        return ir_type_bool(m);
    case CXType_Char_S: case CXType_SChar: case CXType_Short: case CXType_Int:
    case CXType_Long: case CXType_LongLong:
        if (size == 1 || size == 2 || size == 4 || size == 8)
            return ir_type_int(m, (uint32_t)size * 8, true);
        break;
    case CXType_Char_U: case CXType_UChar: case CXType_UShort: case CXType_UInt:
    case CXType_ULong: case CXType_ULongLong:
        if (size == 1 || size == 2 || size == 4 || size == 8)
            return ir_type_int(m, (uint32_t)size * 8, false);
        break;
    case CXType_Float:
        return ir_type_float(m, 32);
    case CXType_Double:
        return ir_type_float(m, 64);
    case CXType_Half: case CXType_Float16:
        return ir_type_float(m, 16);
    case CXType_BFloat16: /* __bf16 (docs/cimport.md) */
        return ir_type_bf16(m);
    case CXType_Unexposed:
        /* libclang 19 reports __bf16 as unexposed rather than BFloat16 */
        if (size == 2 && strcmp(cx_str(cx->a, clang_getTypeSpelling(t)), "__bf16") == 0)
            return ir_type_bf16(m);
        break;
    case CXType_Enum:
        return map_type(cx, clang_getEnumDeclIntegerType(clang_getTypeDeclaration(t)), why);
    case CXType_Pointer: {
        CXType pt = clang_getPointeeType(t);
        CXType cpt = clang_getCanonicalType(pt);
        if (cpt.kind == CXType_FunctionProto || cpt.kind == CXType_FunctionNoProto) {
            *why = "function pointers have no Claw equivalent";
            return NULL;
        }
        if (cpt.kind == CXType_Void) {
            *why = "'void *' has no Claw equivalent (use a typed pointer or uint64_t)";
            return NULL;
        }
        const char *inner = NULL;
        IrType *elem = map_type(cx, pt, &inner);
        if (!elem) {
            *why = arena_printf(cx->a, "pointer to an unmappable type (%s)", inner);
            return NULL;
        }
        return ir_type_ptr(m, elem, IR_SPACE_GLOBAL, clang_isConstQualifiedType(cpt) != 0);
    }
    case CXType_ConstantArray: {
        const char *inner = NULL;
        IrType *elem = map_type(cx, clang_getArrayElementType(t), &inner);
        if (!elem) {
            *why = arena_printf(cx->a, "array of an unmappable type (%s)", inner);
            return NULL;
        }
        long long n = clang_getArraySize(t);
        if (n <= 0) {
            *why = "zero-length arrays have no Claw equivalent";
            return NULL;
        }
        return ir_type_array(m, elem, (uint64_t)n);
    }
    case CXType_IncompleteArray:
        *why = "flexible array members have no Claw equivalent";
        return NULL;
    case CXType_Vector: case CXType_ExtVector:
        *why = "vector types have no Claw equivalent";
        return NULL;
    case CXType_Record: {
        IrType *st = map_record(cx, t, why);
        if (st && st->unmappable) {
            *why = arena_printf(cx->a, "struct '%s' cannot be used: %s", st->name, st->unmappable);
            return NULL;
        }
        return st;
    }
    case CXType_Complex:
        *why = "complex types have no Claw equivalent";
        return NULL;
    case CXType_LongDouble:
        *why = "'long double' has no Claw equivalent";
        return NULL;
    default:
        break;
    }
    *why = arena_printf(cx->a, "C type '%s' has no Claw equivalent",
                        cx_str(cx->a, clang_getTypeSpelling(t)));
    return NULL;
}

/* Field visitor state for map_record. */
typedef struct FieldList {
    Ctx *cx;
    CXType rec;
    PtrVec fields;       /* IrField * */
    const char *why;     /* first reason the struct cannot be mapped */
} FieldList;

static enum CXChildVisitResult
visit_field(CXCursor c, CXCursor parent, CXClientData data)
{
    FieldList *fl = data;
    Ctx *cx = fl->cx;
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_StructDecl || k == CXCursor_UnionDecl) {
        if (clang_Cursor_isAnonymousRecordDecl(c) && !fl->why)
            fl->why = "it has an anonymous struct or union member";
        return CXChildVisit_Continue;
    }
    if (k != CXCursor_FieldDecl)
        return CXChildVisit_Continue;
    char *name = cx_str(cx->a, clang_getCursorSpelling(c));
    IrField *f = arena_alloc(cx->a, sizeof *f);
    f->name = name;
    if (clang_Cursor_isBitField(c)) {
        f->unmappable = arena_printf(cx->a, "field '%s' is a bit-field", name);
    } else if (name[0] == 0) {
        f->unmappable = "anonymous members have no Claw equivalent";
    } else {
        const char *why = NULL;
        f->type = map_type(cx, clang_getCursorType(c), &why);
        if (!f->type)
            f->unmappable = arena_printf(cx->a, "field '%s': %s", name, why);
        long long off = clang_Type_getOffsetOf(fl->rec, name);
        if (off < 0 || off % 8) {
            if (!f->unmappable)
                f->unmappable = arena_printf(cx->a, "field '%s' has no byte offset", name);
            off = 0;
        }
        f->offset = (uint64_t)off / 8;
    }
    if (f->unmappable && !fl->why)
        fl->why = f->unmappable;
    ptrvec_push(cx->a, &fl->fields, f);
    return CXChildVisit_Continue;
}

/* The Claw name of a record: its tag (then *tagged is set: C spells the type
 * `struct Name`), or the typedef naming an anonymous one. */
static const char *
record_name(Ctx *cx, CXCursor decl, CXType t, bool *tagged)
{
    char *tag = cx_str(cx->a, clang_getCursorSpelling(decl));
    if (tag[0] && !clang_Cursor_isAnonymous(decl) && !strstr(tag, "(unnamed") &&
        !strstr(tag, "(anonymous")) {
        /* libclang gives an anonymous struct named by a typedef the
         * typedef's name; only a real tag is spelled `struct Tag`. */
        const char *ts = cx_str(cx->a, clang_getTypeSpelling(t));
        *tagged = strncmp(ts, "struct ", 7) == 0 || strncmp(ts, "union ", 6) == 0;
        return tag;
    }
    char *spelled = cx_str(cx->a, clang_getTypeSpelling(t));
    return spelled;
}

/* Maps a struct or union type (through its definition) to a Claw struct.
 * Unions and structs with unmappable fields come back with `unmappable`. */
static IrType *
map_record(Ctx *cx, CXType t, const char **why)
{
    t = clang_getCanonicalType(t);
    CXCursor decl = clang_getTypeDeclaration(t);
    CXCursor def = clang_getCursorDefinition(decl);
    if (clang_Cursor_isNull(def)) {
        *why = arena_printf(cx->a, "'%s' is an incomplete type",
                            cx_str(cx->a, clang_getTypeSpelling(t)));
        return NULL;
    }
    char *usr = cx_str(cx->a, clang_getCursorUSR(def));
    for (int i = 0; i < cx->imp->structs.len; i++)
        if (strcmp(cx->imp->struct_usrs.data[i], usr) == 0)
            return cx->imp->structs.data[i];

    const char *origin = NULL;
    SrcLoc loc = cursor_loc(cx, def, &origin);
    bool tagged = false;
    const char *name = record_name(cx, def, t, &tagged);
    IrType *st = ir_type_struct(cx->m, name, loc);
    st->c_tagged = tagged;
    ptrvec_push(cx->imp->arena, &cx->imp->structs, st);
    ptrvec_push(cx->imp->arena, &cx->imp->struct_usrs, arena_strdup(cx->imp->arena, usr));

    FieldList fl = {.cx = cx, .rec = t};
    if (clang_getCursorKind(def) == CXCursor_UnionDecl)
        fl.why = "unions have no Claw equivalent";
    else
        clang_visitChildren(def, visit_field, &fl);
    long long size = clang_Type_getSizeOf(t), align = clang_Type_getAlignOf(t);
    if (!fl.why && fl.fields.len == 0)
        fl.why = "it has no fields";
    if (!fl.why && (size <= 0 || align <= 0))
        fl.why = "it has no size";
    if (fl.why) {
        st->unmappable = fl.why;
        ir_type_struct_set_layout(cx->m, st, 0, NULL, size > 0 ? (uint64_t)size : 1,
                                  align > 0 ? (uint64_t)align : 1);
        return st;
    }
    IrField *fields = arena_alloc(cx->a, sizeof(IrField) * (size_t)fl.fields.len);
    for (int i = 0; i < fl.fields.len; i++)
        fields[i] = *(IrField *)fl.fields.data[i];
    ir_type_struct_set_layout(cx->m, st, fl.fields.len, fields, (uint64_t)size, (uint64_t)align);
    return st;
}

static Decl *
new_decl(Ctx *cx, DeclKind kind, const char *name, CXCursor c)
{
    Decl *d = arena_alloc(cx->a, sizeof *d);
    d->kind = kind;
    d->name = name;
    d->loc = cursor_loc(cx, c, &d->import_origin);
    return d;
}

static void
add_const(Ctx *cx, const char *name, const char *usr, CXCursor c, IrType *type, uint64_t i,
          double f, const char *unmappable)
{
    if (already_done(cx->imp, usr))
        return;
    mark_done(cx->imp, name, usr);
    Decl *d = new_decl(cx, DECL_CONST, name, c);
    d->u.cnst.type = type;
    d->u.cnst.val.type = type;
    d->u.cnst.val.i = i;
    d->u.cnst.val.f = f;
    d->unmappable = unmappable;
    ptrvec_push(cx->a, cx->out, d);
}

static uint64_t
trunc_bits(uint64_t v, uint32_t bits)
{
    return bits >= 64 ? v : v & ((UINT64_C(1) << bits) - 1);
}

/* Parses a C numeric literal's text into a typed constant. Returns false if
 * the text is not a plain integer or floating literal. */
static bool
parse_c_literal(Ctx *cx, const char *s, bool neg, IrType **type, uint64_t *iv, double *fv)
{
    IrModule *m = cx->m;
    size_t n = strlen(s);
    bool is_hex = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    bool is_float = false;
    for (size_t k = 0; k < n; k++) {
        char ch = s[k];
        if (ch == '.' || (!is_hex && (ch == 'e' || ch == 'E')) || (is_hex && (ch == 'p' || ch == 'P')))
            is_float = true;
    }
    if (is_float) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        bool f32 = false;
        if (*end == 'f' || *end == 'F') {
            f32 = true;
            end++;
        } else if (*end == 'l' || *end == 'L') {
            return false; /* long double */
        }
        if (*end)
            return false;
        if (neg)
            v = -v;
        *type = ir_type_float(m, f32 ? 32 : 64);
        *fv = f32 ? (double)(float)v : v;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0); /* base 0: decimal, 0x hex, 0 octal */
    if (errno == ERANGE)
        return false;
    int nu = 0, nl = 0;
    for (; *end; end++) {
        if (*end == 'u' || *end == 'U')
            nu++;
        else if (*end == 'l' || *end == 'L')
            nl++;
        else
            return false;
    }
    if (nu > 1 || nl > 2)
        return false;
    bool decimal = !(s[0] == '0' && n > 1);
    /* C11 6.4.4.1: the first type of the list that can represent the value. */
    bool is_unsigned;
    uint32_t bits;
    if (nu) {
        is_unsigned = true;
        bits = (nl == 0 && v <= UINT32_MAX) ? 32 : 64;
    } else if (nl) {
        bits = 64;
        is_unsigned = !decimal && v > INT64_MAX;
    } else if (v <= INT32_MAX) {
        bits = 32, is_unsigned = false;
    } else if (!decimal && v <= UINT32_MAX) {
        bits = 32, is_unsigned = true;
    } else if (v <= INT64_MAX) {
        bits = 64, is_unsigned = false;
    } else if (!decimal) {
        bits = 64, is_unsigned = true;
    } else {
        return false;
    }
    uint64_t val = neg ? (uint64_t)0 - v : v;
    *type = ir_type_int(m, bits, !is_unsigned);
    *iv = trunc_bits(val, bits);
    return true;
}

/* An object-like macro whose body is `[(] [-|+] literal [)]`. */
static void
import_macro(Ctx *cx, CXCursor c)
{
    if (clang_Cursor_isMacroFunctionLike(c) || clang_Cursor_isMacroBuiltin(c))
        return;
    char *name = cx_str(cx->a, clang_getCursorSpelling(c));
    CXToken *toks = NULL;
    unsigned ntoks = 0;
    clang_tokenize(cx->tu, clang_getCursorExtent(c), &toks, &ntoks);
    /* toks[0] is the macro's name. */
    unsigned i = 1, end = ntoks;
    int parens = 0;
    while (i < end && clang_getTokenKind(toks[i]) == CXToken_Punctuation) {
        char *p = cx_str(cx->a, clang_getTokenSpelling(cx->tu, toks[i]));
        if (strcmp(p, "(") != 0)
            break;
        parens++;
        i++;
    }
    bool neg = false;
    if (i < end && clang_getTokenKind(toks[i]) == CXToken_Punctuation) {
        char *p = cx_str(cx->a, clang_getTokenSpelling(cx->tu, toks[i]));
        if (strcmp(p, "-") == 0 || strcmp(p, "+") == 0) {
            neg = p[0] == '-';
            i++;
        }
    }
    bool ok = false;
    IrType *type = NULL;
    uint64_t iv = 0;
    double fv = 0;
    if (i < end && clang_getTokenKind(toks[i]) == CXToken_Literal) {
        char *lit = cx_str(cx->a, clang_getTokenSpelling(cx->tu, toks[i]));
        i++;
        int closing = 0;
        while (i < end && clang_getTokenKind(toks[i]) == CXToken_Punctuation) {
            char *p = cx_str(cx->a, clang_getTokenSpelling(cx->tu, toks[i]));
            if (strcmp(p, ")") != 0)
                break;
            closing++;
            i++;
        }
        ok = i == end && closing == parens && parse_c_literal(cx, lit, neg, &type, &iv, &fv);
    }
    clang_disposeTokens(cx->tu, toks, ntoks);
    if (!ok || ntoks < 2)
        return; /* not a literal macro: not a Claw constant, silently (C headers have many) */
    char *usr = arena_printf(cx->a, "macro:%s", name);
    add_const(cx, name, usr, c, type, iv, fv, NULL);
}

/* Whether an enum declaration spells a fixed underlying type (`enum E : T`). */
static bool
enum_has_fixed_type(Ctx *cx, CXCursor c)
{
    CXToken *toks = NULL;
    unsigned n = 0;
    clang_tokenize(cx->tu, clang_getCursorExtent(c), &toks, &n);
    bool fixed = false;
    for (unsigned i = 0; i < n; i++) {
        char *p = cx_str(cx->a, clang_getTokenSpelling(cx->tu, toks[i]));
        if (strcmp(p, "{") == 0)
            break;
        if (strcmp(p, ":") == 0) {
            fixed = true;
            break;
        }
    }
    clang_disposeTokens(cx->tu, toks, n);
    return fixed;
}

typedef struct EnumCtx {
    Ctx *cx;
    IrType *type;
} EnumCtx;

static enum CXChildVisitResult
visit_enum_constant(CXCursor c, CXCursor parent, CXClientData data)
{
    EnumCtx *ec = data;
    if (clang_getCursorKind(c) != CXCursor_EnumConstantDecl)
        return CXChildVisit_Continue;
    Ctx *cx = ec->cx;
    char *name = cx_str(cx->a, clang_getCursorSpelling(c));
    char *usr = cx_str(cx->a, clang_getCursorUSR(c));
    uint64_t v = ec->type->is_signed ? (uint64_t)clang_getEnumConstantDeclValue(c)
                                     : (uint64_t)clang_getEnumConstantDeclUnsignedValue(c);
    const char *why = NULL;
    if (!ec->type->is_signed || ec->type->bits != 32) {
        /* fixed type: value as is */
    } else {
        long long sv = clang_getEnumConstantDeclValue(c);
        if (sv < INT32_MIN || sv > INT32_MAX)
            why = arena_printf(cx->a, "enum constant value %lld does not fit in i32", sv);
    }
    add_const(cx, name, usr, c, ec->type, trunc_bits(v, ec->type->bits), 0, why);
    return CXChildVisit_Continue;
}

static void
import_static_const(Ctx *cx, CXCursor c)
{
    if (clang_Cursor_getStorageClass(c) != CX_SC_Static)
        return;
    CXType t = clang_getCursorType(c);
    if (!clang_isConstQualifiedType(t))
        return;
    char *name = cx_str(cx->a, clang_getCursorSpelling(c));
    char *usr = cx_str(cx->a, clang_getCursorUSR(c));
    const char *why = NULL;
    IrType *type = map_type(cx, t, &why);
    if (type && !ir_type_is_numeric(type) && type->kind != IRT_BOOL) {
        type = NULL;
        why = "only scalar 'static const' values become Claw constants";
    }
    uint64_t iv = 0;
    double fv = 0;
    if (type) {
        CXEvalResult ev = clang_Cursor_Evaluate(c);
        CXEvalResultKind k = ev ? clang_EvalResult_getKind(ev) : CXEval_UnExposed;
        if (k == CXEval_Int && !ir_type_is_float(type)) {
            iv = clang_EvalResult_isUnsignedInt(ev) ? clang_EvalResult_getAsUnsigned(ev)
                                                    : (uint64_t)clang_EvalResult_getAsLongLong(ev);
            iv = type->kind == IRT_BOOL ? (iv != 0) : trunc_bits(iv, type->bits);
        } else if (k == CXEval_Float && ir_type_is_float(type)) {
            fv = clang_EvalResult_getAsDouble(ev);
            if (type->bits == 32)
                fv = (double)(float)fv;
        } else if (k == CXEval_Int && ir_type_is_float(type)) {
            fv = (double)clang_EvalResult_getAsLongLong(ev);
        } else {
            type = NULL;
            why = "its initializer is not a constant libclang can evaluate";
        }
        if (ev)
            clang_EvalResult_dispose(ev);
    }
    add_const(cx, name, usr, c, type, iv, fv, type ? NULL : why);
}

static void
import_record(Ctx *cx, CXCursor c, const char *typedef_name)
{
    if (!clang_isCursorDefinition(c))
        return;
    CXType t = clang_getCursorType(c);
    const char *why = NULL;
    IrType *st = map_record(cx, t, &why);
    if (!st)
        return;
    const char *name = typedef_name ? typedef_name : st->name;
    if (!name || !name[0] || strstr(name, "(unnamed") || strstr(name, "(anonymous"))
        return;
    char *usr = arena_printf(cx->a, "%s|%s", name, cx_str(cx->a, clang_getCursorUSR(c)));
    if (already_done(cx->imp, usr))
        return;
    /* `typedef struct Foo Foo;` names the same struct twice: declare it once. */
    for (int i = 0; i < cx->imp->done.len; i++) {
        Imported *d = cx->imp->done.data[i];
        if (strcmp(d->name, name) == 0 && strstr(d->usr, cx_str(cx->a, clang_getCursorUSR(c))))
            return;
    }
    mark_done(cx->imp, name, usr);
    Decl *d = new_decl(cx, DECL_STRUCT, name, c);
    d->u.strct.type = st;
    d->unmappable = st->unmappable;
    ptrvec_push(cx->a, cx->out, d);
}

static enum CXChildVisitResult
visit_top(CXCursor c, CXCursor parent, CXClientData data)
{
    Ctx *cx = data;
    CXSourceLocation sl = clang_getCursorLocation(c);
    if (clang_Location_isInSystemHeader(sl))
        return CXChildVisit_Continue;
    CXFile file;
    clang_getSpellingLocation(sl, &file, NULL, NULL, NULL);
    if (!file)
        return CXChildVisit_Continue; /* built-in and command-line macros */
    switch (clang_getCursorKind(c)) {
    case CXCursor_MacroDefinition:
        import_macro(cx, c);
        break;
    case CXCursor_StructDecl:
    case CXCursor_UnionDecl:
        import_record(cx, c, NULL);
        break;
    case CXCursor_TypedefDecl: {
        CXType u = clang_getCanonicalType(clang_getTypedefDeclUnderlyingType(c));
        if (u.kind == CXType_Record) {
            CXCursor rec = clang_getCursorDefinition(clang_getTypeDeclaration(u));
            if (!clang_Cursor_isNull(rec) && clang_Cursor_isAnonymous(rec)) {
                char *name = cx_str(cx->a, clang_getCursorSpelling(c));
                import_record(cx, rec, name);
            }
        }
        break;
    }
    case CXCursor_EnumDecl: {
        EnumCtx ec = {cx, NULL};
        if (enum_has_fixed_type(cx, c)) {
            const char *why = NULL;
            ec.type = map_type(cx, clang_getEnumDeclIntegerType(c), &why);
        }
        if (!ec.type)
            ec.type = ir_type_int(cx->m, 32, true);
        clang_visitChildren(c, visit_enum_constant, &ec);
        break;
    }
    case CXCursor_VarDecl:
        import_static_const(cx, c);
        break;
    default:
        break;
    }
    return CXChildVisit_Continue;
}

static void
add_dep(CImport *imp, const char *path)
{
    for (int i = 0; i < imp->deps.len; i++)
        if (strcmp(imp->deps.data[i], path) == 0)
            return;
    ptrvec_push(imp->arena, &imp->deps, arena_strdup(imp->arena, path));
}

static void
visit_inclusion(CXFile f, CXSourceLocation *stack, unsigned depth, CXClientData data)
{
    CXString s = clang_getFileName(f);
    const char *p = clang_getCString(s);
    if (p)
        add_dep(data, p);
    clang_disposeString(s);
}

/* Reports libclang's errors in the header at the header's own location. */
static bool
report_diagnostics(Ctx *cx, SrcLoc import_loc, const char *path)
{
    bool ok = true;
    unsigned n = clang_getNumDiagnostics(cx->tu);
    for (unsigned i = 0; i < n; i++) {
        CXDiagnostic d = clang_getDiagnostic(cx->tu, i);
        enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
        if (sev >= CXDiagnostic_Error) {
            CXFile file;
            unsigned line, col, off;
            clang_getSpellingLocation(clang_getDiagnosticLocation(d), &file, &line, &col, &off);
            char *msg = cx_str(cx->a, clang_getDiagnosticSpelling(d));
            if (file) {
                char *name = cx_str(cx->a, clang_getFileName(file));
                SrcLoc loc = {header_file_index(cx->imp, name), line, col};
                diag_error(loc, "%s", msg);
            } else {
                diag_error(import_loc, "in imported header '%s': %s", path, msg);
            }
            ok = false;
        }
        clang_disposeDiagnostic(d);
    }
    return ok;
}

static char *
dir_of(Arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return arena_strdup(a, ".");
    if (slash == path)
        return arena_strdup(a, "/");
    return arena_strndup(a, path, (size_t)(slash - path));
}

bool
cimport_header(Arena *a, IrModule *m, const char *importer, const char *path, SrcLoc loc,
               const SemaOptions *opt, PtrVec *out_decls)
{
    if (!opt || !opt->imports)
        ICE("cimport_header needs the compilation's import state (SemaOptions.imports)");
    /* Search: the importing file's folder, then each -I folder, in order. */
    Buf searched = {0};
    const char *found = NULL;
    int ndirs = 1 + (opt ? opt->ninclude_dirs : 0);
    if (path[0] == '/') {
        if (file_exists(path))
            found = path;
        buf_printf(&searched, "absolute path");
    }
    for (int i = 0; !found && i < ndirs; i++) {
        const char *dir = i == 0 ? dir_of(a, importer) : opt->include_dirs[i - 1];
        char *cand = arena_printf(a, "%s/%s", dir, path);
        buf_printf(&searched, "%s'%s'", i ? ", " : "", dir);
        if (file_exists(cand))
            found = cand;
    }
    if (!found) {
        buf_append(&searched, "", 1);
        diag_error(loc, "cannot find imported header '%s' (searched %s)", path,
                   (const char *)searched.data);
        buf_free(&searched);
        return false;
    }
    buf_free(&searched);

    /* -I folders go to clang too, so the header's own #includes resolve. */
    int nargs = 0;
    const char **args = arena_alloc(a, sizeof(char *) * (size_t)(6 + 2 * ndirs));
    args[nargs++] = "-x";
    args[nargs++] = "c";
    args[nargs++] = "-std=c11";
    args[nargs++] = arena_printf(a, "-I%s", dir_of(a, importer));
    for (int i = 0; opt && i < opt->ninclude_dirs; i++)
        args[nargs++] = arena_printf(a, "-I%s", opt->include_dirs[i]);

    CXIndex index = clang_createIndex(0, 0);
    CXTranslationUnit tu = NULL;
    enum CXErrorCode ec = clang_parseTranslationUnit2(
        index, found, args, nargs, NULL, 0,
        CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_SkipFunctionBodies, &tu);
    if (ec != CXError_Success || !tu) {
        diag_error(loc, "libclang could not parse imported header '%s' (error %d)", found, (int)ec);
        clang_disposeIndex(index);
        return false;
    }
    Ctx cx = {.imp = opt->imports, .a = a, .m = m, .tu = tu, .out = out_decls};
    bool ok = report_diagnostics(&cx, loc, found);
    if (ok)
        clang_visitChildren(clang_getTranslationUnitCursor(tu), visit_top, &cx);
    clang_getInclusions(tu, visit_inclusion, opt->imports);
    clang_disposeTranslationUnit(tu);
    clang_disposeIndex(index);
    return ok && !cx.failed;
}
