/* cheader.h: `clawc --emit=c-header` (cheader.c), a C header with one typed
 * launch function per kernel over the runtime API of docs/runtime.md. */
#ifndef CLAW_CHEADER_H
#define CLAW_CHEADER_H

#include "front.h"

/* Appends the header for module m (lowered from mod) to out. stem names the
 * include guard and the embedded data; fatbin, if non-NULL, is embedded as a
 * byte array with a loader (`--embed`). variants: the fat binary holds
 * --variants builds, so the header promises no fixed block size. */
void cheader_write(Module *mod, IrModule *m, const char *stem, const Buf *fatbin, bool variants,
                   Buf *out);

#endif
