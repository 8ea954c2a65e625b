# seeds.cmake: writes the fuzzers' seed corpora and dictionary (cmake -P,
# called by the fuzz_seeds target of tests/fuzz/CMakeLists.txt).
#   SRC: source tree, BIN: build tree, OUT: where seeds-*/ and claw.dict go.
file(REMOVE_RECURSE ${OUT}/seeds-claw ${OUT}/seeds-fatbin)
file(MAKE_DIRECTORY ${OUT}/seeds-claw ${OUT}/seeds-fatbin)

file(GLOB_RECURSE claws ${SRC}/tests/*.claw ${SRC}/samples/*.claw)
foreach(f ${claws})
  file(RELATIVE_PATH rel ${SRC} ${f})
  string(REPLACE "/" "_" flat "${rel}")
  configure_file(${f} ${OUT}/seeds-claw/${flat} COPYONLY)
endforeach()

file(GLOB_RECURSE fbs ${BIN}/samples/*.clawfb ${BIN}/tests/*.clawfb)
foreach(f ${fbs})
  file(RELATIVE_PATH rel ${BIN} ${f})
  string(REPLACE "/" "_" flat "${rel}")
  configure_file(${f} ${OUT}/seeds-fatbin/${flat} COPYONLY)
endforeach()

# libFuzzer dictionary: "spelling" per line.
set(dict "# Claw tokens and builtins, from compiler/tokens.def and builtins.def\n")
file(STRINGS ${SRC}/compiler/tokens.def toks REGEX "^TK\\(")
foreach(l ${toks})
  if(l MATCHES "\"'(.+)'\"")
    string(REPLACE "\\" "\\\\" s "${CMAKE_MATCH_1}")
    string(REPLACE "\"" "\\\"" s "${s}")
    string(APPEND dict "\"${s}\"\n")
  endif()
endforeach()
file(STRINGS ${SRC}/compiler/builtins.def bis REGEX "^BI\\(")
foreach(l ${bis})
  if(l MATCHES "\"([a-z_0-9]+)\"")
    string(APPEND dict "\"${CMAKE_MATCH_1}\"\n")
  endif()
endforeach()
# Type names, attributes and literal suffixes are identifiers to the lexer.
foreach(w bool i8 i16 i32 i64 u8 u16 u32 u64 f16 f32 f64 workgroup unroll
          .x .y .z 0x 1e9 1.5 -2147483648 4294967295 " as u64" "fn f(" "kernel k(")
  string(APPEND dict "\"${w}\"\n")
endforeach()
file(WRITE ${OUT}/claw.dict "${dict}")

# The IR reader's dictionary: every op's printed name (ir/ops.def) and the
# words of the IR text form (docs/ir.md).
set(dict "# Claw IR op names, from ir/ops.def, and the IR's keywords\n")
file(STRINGS ${SRC}/ir/ops.def ops REGEX "^X\\(")
foreach(l ${ops})
  if(l MATCHES "^X\\([A-Z_0-9]+, *\"([a-z_0-9]+)\"")
    string(APPEND dict "\"${CMAKE_MATCH_1}\"\n")
  endif()
endforeach()
foreach(w fn kernel struct shared const private align size name why unmappable loop
          continuing break_if unroll full workgroup inf nan true false bool void i8 i16
          i32 i64 u8 u16 u32 u64 f16 bf16 f32 f64 "vec4<f32>" "*const " "*shared " .x .y .z
          "; 1:1" "%0" "%1" "@k" "->" " : u32" " {" "}" "[4]")
  string(APPEND dict "\"${w}\"\n")
endforeach()
file(WRITE ${OUT}/clawir.dict "${dict}")
