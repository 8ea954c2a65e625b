/* gen_main.c: claw_gen, the program generator on the command line:
 *     claw_gen SEED [--funcs-only]
 * prints the program for SEED (gen.h) on standard output, to read or to
 * compile by hand (clawc prog.claw) when claw_difftest reports a seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

int
main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--funcs-only") != 0)) {
        fprintf(stderr, "usage: claw_gen SEED [--funcs-only]\n");
        return 2;
    }
    GenProgram p = gen_program(strtoull(argv[1], NULL, 0));
    fputs(p.funcs, stdout);
    if (argc == 2)
        fputs(p.kernel, stdout);
    gen_program_free(&p);
    return 0;
}
