#!/usr/bin/env python3
"""Generates pathological Claw sources for the compile-limit tests and the
compile_scale benchmark (scripts/bench/compile_scale.py): long operator
chains, deep nesting, big unroll nests, big array literals, long names, long
else-if chains, many statements/functions/kernels. Writes the source to
standard output. Usage: gen.py KIND N [M]

The first line of every kernel's text is line 2 (line 1 is a comment), so a
test can check the line:col a diagnostic points at.
"""
import sys


def chain(op, n, leaf):
    return (" %s " % op).join([leaf] * n)


def kernel(body, params="p: *u32, a: u32, b: bool, x: i32"):
    return "kernel k(%s) {\n%s}\n" % (params, body)


def gen(kind, n, m):
    out = ["// generated: %s %d %d\n" % (kind, n, m)]
    if kind == "add":            # a + a + ... + a  (n operands)
        out.append(kernel("    p[0] = %s;\n" % chain("+", n, "a")))
    elif kind == "mixed":        # a * a + a - a ... (left-assoc, several ops)
        ops = ["+", "*", "-", "^", "|", "&"]
        s = "a"
        parts = ["a"]
        for i in range(1, n):
            parts.append(ops[i % len(ops)])
            parts.append("a")
        out.append(kernel("    p[0] = %s;\n" % " ".join(parts)))
    elif kind == "land":         # b && b && ... (n operands)
        out.append(kernel("    if %s { p[0] = 1u; }\n" % chain("&&", n, "b")))
    elif kind == "lor":
        out.append(kernel("    if %s { p[0] = 1u; }\n" % chain("||", n, "b")))
    elif kind == "const":        # a constant chain folded by sema
        out.append("const C: u32 = %s;\n" % chain("+", n, "1u"))
        out.append(kernel("    p[0] = C;\n"))
    elif kind == "neg":          # - - - x (n minus signs)
        out.append(kernel("    p[0] = (%sx) as u32;\n" % ("- " * n)))
    elif kind == "not":          # ! ! ! b
        out.append(kernel("    if %sb { p[0] = 1u; }\n" % ("!" * n)))
    elif kind == "parens":       # ((((a))))
        out.append(kernel("    p[0] = %sa%s;\n" % ("(" * n, ")" * n)))
    elif kind == "calls":        # f(f(f(a)))
        out.append("fn f(v: u32) -> u32 { return v + 1u; }\n")
        out.append(kernel("    p[0] = %sa%s;\n" % ("f(" * n, ")" * n)))
    elif kind == "index":        # p[p[p[0]]]
        out.append(kernel("    p[0] = %s0u%s;\n" % ("p[" * n, "]" * n)))
    elif kind == "blocks":       # { { { } } }
        out.append(kernel("    %sp[0] = 1u;%s\n" % ("{ " * n, " }" * n)))
    elif kind == "ifs":          # if b { if b { ... } }
        out.append(kernel("    %sp[0] = 1u;%s\n" % ("if b { " * n, " }" * n)))
    elif kind == "elseif":       # if a == 0u {} else if a == 1u {} ... (n arms)
        body = ["    if a == 0u { p[0] = 0u; }"]
        for i in range(1, n):
            body.append(" else if a == %du { p[0] = %du; }" % (i, i))
        body.append(" else { p[0] = 7u; }\n")
        out.append(kernel("".join(body)))
    elif kind == "unroll":       # n nested @unroll loops of m iterations each
        body = []
        for d in range(n):
            body.append("    " * (d + 1) + "@unroll for i%d in 0u..%du {\n" % (d, m))
        body.append("    " * (n + 1) + "p[%s] += 1u;\n" % " + ".join("i%d" % d for d in range(n)))
        for d in reversed(range(n)):
            body.append("    " * (d + 1) + "}\n")
        out.append(kernel("".join(body)))
    elif kind == "array":        # let t = [0u, 1u, ...] (n elements)
        elems = ", ".join("%du" % i for i in range(n))
        out.append(kernel("    let t = [%s];\n    p[0] = t[a];\n" % elems))
    elif kind == "arrayvar":     # var t: [u32; n] = [a, a, ...] (run-time elements)
        elems = ", ".join(["a"] * n)
        out.append(kernel("    var t: [u32; %d] = [%s];\n    p[0] = t[a];\n" % (n, elems)))
    elif kind == "repeat":       # var t: [u32; n] = [a; n]
        out.append(kernel("    var t: [u32; %d] = [a; %d];\n    t[1] = 2u;\n    p[0] = t[a];\n" % (n, n)))
    elif kind == "letrepeat":    # let t = [a; n]
        out.append(kernel("    let t = [a; %d];\n    p[0] = t[a];\n" % n))
    elif kind == "shared":       # shared t: [u32; n]
        out.append(kernel("    shared t: [u32; %d];\n    t[a] = 1u;\n    barrier();\n    p[0] = t[0];\n" % n))
    elif kind == "longname":     # an identifier of n characters
        name = "v" + "x" * (n - 1)
        out.append(kernel("    let %s = a + 1u;\n    p[0] = %s;\n" % (name, name)))
    elif kind == "longfn":       # a function and a kernel with n-character names
        fname = "f" + "y" * (n - 1)
        kname = "k" + "z" * (n - 1)
        out.append("fn %s(v: u32) -> u32 { return v + 1u; }\n" % fname)
        out.append("kernel %s(p: *u32, a: u32) {\n    p[0] = %s(a);\n}\n" % (kname, fname))
    elif kind == "stmts":        # n statements in one kernel
        body = ["    var s: u32 = a;\n"]
        for i in range(n):
            body.append("    s = s * 3u + p[%d];\n" % (i % 1024))
        body.append("    p[0] = s;\n")
        out.append(kernel("".join(body)))
    elif kind == "lets":         # n let bindings in one kernel
        body = ["    let v0 = a;\n"]
        for i in range(1, n):
            body.append("    let v%d = v%d + %du;\n" % (i, i - 1, i))
        body.append("    p[0] = v%d;\n" % (n - 1))
        out.append(kernel("".join(body)))
    elif kind == "fns":          # n functions, all called from one kernel
        for i in range(n):
            out.append("fn f%d(v: u32) -> u32 { return v * %du + 1u; }\n" % (i, i + 1))
        body = ["    var s: u32 = a;\n"]
        for i in range(n):
            body.append("    s = f%d(s);\n" % i)
        body.append("    p[0] = s;\n")
        out.append(kernel("".join(body)))
    elif kind == "kernels":      # n kernels
        for i in range(n):
            out.append("kernel k%d(p: *u32, a: u32) {\n    p[%d] = a * %du;\n}\n" % (i, i % 64, i + 1))
    elif kind == "params":       # a kernel and a function with n parameters
        ps = ", ".join("a%d: u32" % i for i in range(n))
        out.append("fn f(%s) -> u32 { return a0; }\n" % ps)
        out.append("kernel k(p: *u32, %s) {\n    p[0] = f(%s);\n}\n" % (ps, ", ".join("a%d" % i for i in range(n))))
    elif kind == "fields":       # a struct with n fields
        fs = ", ".join("f%d: u32" % i for i in range(n))
        out.append("struct S { %s }\n" % fs)
        out.append(kernel("    var s: S;\n    s.f0 = a;\n    p[0] = s.f0;\n"))
    else:
        sys.exit("gen.py: unknown kind '%s'" % kind)
    return "".join(out)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.stdout.write(gen(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0))
