/* Prints FileCheck lines with the host C compiler's own layout of layout.h,
 * so layout-host.claw checks clawc against the compiler, not against numbers
 * written by hand. */
#include <stddef.h>
#include <stdio.h>
#include "layout.h"

#define F(T, f, ty) printf("%s%s: %s @%zu", first ? "" : ", ", #f, ty, offsetof(T, f)), first = 0

int
main(void)
{
    int first = 1;
    printf("CHECK-DAG: struct Inner { ");
    F(struct Inner, tag, "u8");
    F(struct Inner, big, "i64");
    printf(" } size %zu align %zu\n", sizeof(struct Inner), _Alignof(struct Inner));
    first = 1;
    printf("CHECK-DAG: struct Awkward { ");
    F(Awkward, a, "u8");
    F(Awkward, b, "f64");
    F(Awkward, c, "i16");
    F(Awkward, d, "[u8; 3]");
    F(Awkward, in, "Inner");
    F(Awkward, f, "f32");
    F(Awkward, flag, "bool");
    F(Awkward, wide, "u64");
    F(Awkward, l, sizeof(long) == 8 ? "i64" : "i32");
    F(Awkward, us, "u16");
    F(Awkward, ro, "*const f32");
    F(Awkward, rw, "*i32");
    printf(" } size %zu align %zu\n", sizeof(Awkward), _Alignof(Awkward));
    return 0;
}
