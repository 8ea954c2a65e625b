/* spirv_scan.c: the nesting depth of a SPIR-V entry point's conditionals,
 * for drivers that silently mis-execute deep nests (docs/runtime.md,
 * "Driver limits"; vulkan.c refuses such kernels on llvmpipe).
 *
 * A selection construct starts at an OpSelectionMerge and ends at the label
 * of its merge block (SPIR-V 2.11). Blocks come in an order where a
 * construct's blocks follow its header, so the open constructs at any point
 * of a function form a stack: an OpSelectionMerge pushes its merge label, and
 * reaching a label that is on the stack pops it and everything opened after
 * it. Loops do not count (llvmpipe's conditional-mask stack is the limit; a
 * loop inside a conditional does not reset it). A call adds the callee's
 * depth to the depth at the call, since the driver inlines every call.
 *
 * The input is any module the runtime was given: every read is bounds
 * checked, and a malformed module gives depth 0 (the driver judges it). */
#include <stdlib.h>
#include <string.h>

#include "rt.h"

enum {
    OP_ENTRY_POINT = 15,
    OP_FUNCTION = 54,
    OP_FUNCTION_END = 56,
    OP_FUNCTION_CALL = 57,
    OP_SELECTION_MERGE = 247,
    OP_LABEL = 248,
    EXEC_GL_COMPUTE = 5,
};

typedef struct ScanCall {
    size_t caller;   /* index into funcs */
    uint32_t callee; /* function id */
    uint32_t depth;  /* open selection constructs at the call */
} ScanCall;

typedef struct ScanFunc {
    uint32_t id;
    uint32_t own;   /* deepest nesting inside the function itself */
    uint32_t total; /* with calls; valid when state == 2 */
    int state;      /* 0 not computed, 1 in progress, 2 done */
} ScanFunc;

typedef struct Scan {
    ScanFunc *funcs;
    size_t nfuncs;
    ScanCall *calls;
    size_t ncalls;
} Scan;

static ScanFunc *
find_func(Scan *s, uint32_t id)
{
    for (size_t i = 0; i < s->nfuncs; i++)
        if (s->funcs[i].id == id)
            return &s->funcs[i];
    return NULL;
}

/* The depth of f with its calls; a recursive call (invalid in a shader)
 * counts as depth 0 rather than looping. */
static uint32_t
total_depth(Scan *s, ScanFunc *f, unsigned guard)
{
    if (f->state == 2)
        return f->total;
    if (f->state == 1 || guard > 4096)
        return 0;
    f->state = 1;
    uint32_t best = f->own;
    size_t self = (size_t)(f - s->funcs);
    for (size_t i = 0; i < s->ncalls; i++) {
        if (s->calls[i].caller != self)
            continue;
        ScanFunc *g = find_func(s, s->calls[i].callee);
        if (!g)
            continue;
        uint32_t d = s->calls[i].depth + total_depth(s, g, guard + 1);
        if (d > best)
            best = d;
    }
    f->total = best;
    f->state = 2;
    return best;
}

/* Fills s from the module; false when out of memory. */
static bool
scan_functions(const uint32_t *w, size_t n, Scan *s)
{
    size_t capf = 0, capc = 0, cap_stack = 0, depth = 0;
    uint32_t *stack = NULL;
    bool in_func = false;
    bool ok = true;
    for (size_t i = 5; i < n && ok;) {
        uint32_t op = w[i] & 0xffff, len = w[i] >> 16;
        if (len == 0 || len > n - i)
            break;
        if (op == OP_FUNCTION && len >= 3) {
            if (s->nfuncs == capf) {
                capf = capf ? 2 * capf : 8;
                ScanFunc *nf = realloc(s->funcs, capf * sizeof *nf);
                if (!nf) {
                    ok = false;
                    break;
                }
                s->funcs = nf;
            }
            s->funcs[s->nfuncs++] = (ScanFunc){.id = w[i + 2]};
            in_func = true;
            depth = 0;
        } else if (op == OP_FUNCTION_END) {
            in_func = false;
        } else if (in_func && op == OP_SELECTION_MERGE && len >= 2) {
            if (depth == cap_stack) {
                cap_stack = cap_stack ? 2 * cap_stack : 64;
                uint32_t *ns = realloc(stack, cap_stack * sizeof *ns);
                if (!ns) {
                    ok = false;
                    break;
                }
                stack = ns;
            }
            stack[depth++] = w[i + 1];
            ScanFunc *f = &s->funcs[s->nfuncs - 1];
            if (depth > f->own)
                f->own = depth > UINT32_MAX ? UINT32_MAX : (uint32_t)depth;
        } else if (in_func && op == OP_LABEL && len >= 2) {
            for (size_t k = depth; k-- > 0;)
                if (stack[k] == w[i + 1]) {
                    depth = k;
                    break;
                }
        } else if (in_func && op == OP_FUNCTION_CALL && len >= 4) {
            if (s->ncalls == capc) {
                capc = capc ? 2 * capc : 16;
                ScanCall *nc = realloc(s->calls, capc * sizeof *nc);
                if (!nc) {
                    ok = false;
                    break;
                }
                s->calls = nc;
            }
            s->calls[s->ncalls++] = (ScanCall){s->nfuncs - 1, w[i + 3], (uint32_t)depth};
        }
        i += len;
    }
    free(stack);
    return ok;
}

/* The GLCompute entry point `name`'s function id, or 0. */
static uint32_t
entry_function(const uint32_t *w, size_t n, const char *name)
{
    for (size_t i = 5; i < n;) {
        uint32_t op = w[i] & 0xffff, len = w[i] >> 16;
        if (len == 0 || len > n - i)
            return 0;
        if (op == OP_ENTRY_POINT && len > 3 && w[i + 1] == EXEC_GL_COMPUTE) {
            const char *str = (const char *)&w[i + 3];
            size_t max = (size_t)(len - 3) * 4;
            if (strnlen(str, max) < max && strcmp(str, name) == 0)
                return w[i + 2];
        }
        i += len;
    }
    return 0;
}

bool
rt_spirv_selection_depth(const uint32_t *words, size_t nwords, const char *entry,
                         uint32_t *depth)
{
    *depth = 0;
    if (!words || nwords < 5 || !entry)
        return true;
    uint32_t id = entry_function(words, nwords, entry);
    if (id == 0)
        return true;
    Scan s = {0};
    bool ok = scan_functions(words, nwords, &s);
    if (ok) {
        ScanFunc *f = find_func(&s, id);
        if (f)
            *depth = total_depth(&s, f, 0);
    }
    free(s.funcs);
    free(s.calls);
    return ok;
}
