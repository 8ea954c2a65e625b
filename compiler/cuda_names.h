/* cuda_names.h: notes that name the Claw spelling of a CUDA name a newcomer
 * types (docs/porting-cuda.md), given after the "unknown ..." errors. */
#ifndef CLAW_CUDA_NAMES_H
#define CLAW_CUDA_NAMES_H

#include "front.h"

/* If name is a CUDA spelling with a Claw equivalent, emits one note at loc
 * saying what to write instead and returns true; otherwise emits nothing. */
bool cuda_note_spelling(SrcLoc loc, const char *name, size_t len);

/* Names starting with `__` are reserved (docs/language.md, section 1): the
 * lexer has reported every one of them already, with the note, so sema does
 * not report them a second time as unknown. */
bool cuda_reserved_reported(const char *name);

#endif
