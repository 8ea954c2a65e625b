# OpenClawFatbin.cmake: claw_add_fatbin(), compiling .claw kernels at build time.
#
#   claw_add_fatbin(<target>
#       SOURCES a.claw [b.claw ...]
#       [TARGETS nvptx:sm_90 amdgpu:gfx942 spirv ...]   # default: clawc's defaults
#       [OPTIONS -O3 -D TILE=32 -I dir ...]            # more clawc options
#       [EMBED]                                        # embed the fat binaries in <target>
#       [INSTALL_DESTINATION dir])                     # install the .clawfb files
#
# For each source `k.claw` it produces, in <binary dir>/claw/<target>/:
#   k.clawfb  the fat binary (clawc's default --emit)
#   k.claw.h  the typed C launch header (clawc --emit=c-header; with EMBED the
#             fat binary bytes are in it, see docs/clawc.md)
# and makes <target> depend on them, with that folder on its include path.
# Dependencies are tracked through clawc's depfile (-MD -MF), so editing a
# .claw file or any C header it imports rebuilds what depends on it.
#
# The compiler is the imported target OpenClaw::clawc (from find_package) or
# the in-tree target clawc, or CLAW_CLAWC if set to a path.
include_guard(GLOBAL)

function(claw_add_fatbin target)
  cmake_parse_arguments(ARG "EMBED" "INSTALL_DESTINATION" "SOURCES;TARGETS;OPTIONS" ${ARGN})
  if(NOT TARGET ${target})
    message(FATAL_ERROR "claw_add_fatbin: '${target}' is not a target; create it first")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "claw_add_fatbin(${target}): SOURCES is required")
  endif()
  if(CLAW_CLAWC)
    set(clawc ${CLAW_CLAWC})
  elseif(TARGET OpenClaw::clawc)
    set(clawc OpenClaw::clawc)
  elseif(TARGET clawc)
    set(clawc clawc)
  else()
    message(FATAL_ERROR "claw_add_fatbin: no clawc (find_package(OpenClaw) or set CLAW_CLAWC)")
  endif()
  set(target_opt)
  if(ARG_TARGETS)
    list(JOIN ARG_TARGETS "," tl)
    set(target_opt "--target=${tl}")
  endif()
  # One folder per target: two targets may compile the same source with
  # different options, and their outputs must not collide.
  set(outdir ${CMAKE_CURRENT_BINARY_DIR}/claw/${target})
  file(MAKE_DIRECTORY ${outdir})
  set(outputs)
  foreach(src ${ARG_SOURCES})
    get_filename_component(abs ${src} ABSOLUTE)
    get_filename_component(stem ${src} NAME_WE)
    # The generated header #includes the C headers the kernel imports, by the
    # name written in `import`: the host sees them from the source's folder.
    get_filename_component(srcdir ${abs} DIRECTORY)
    target_include_directories(${target} PRIVATE ${srcdir})
    set(fb ${outdir}/${stem}.clawfb)
    set(hdr ${outdir}/${stem}.claw.h)
    add_custom_command(
      OUTPUT ${fb}
      COMMAND ${clawc} ${target_opt} ${ARG_OPTIONS} ${abs} -o ${fb} -MD -MF ${fb}.d
      DEPENDS ${abs} ${clawc}
      DEPFILE ${fb}.d
      COMMENT "clawc ${stem}.claw -> ${stem}.clawfb"
      VERBATIM)
    set(embed_opt)
    if(ARG_EMBED)
      set(embed_opt --embed)
    endif()
    add_custom_command(
      OUTPUT ${hdr}
      COMMAND ${clawc} ${target_opt} ${ARG_OPTIONS} ${abs} --emit=c-header ${embed_opt} -o ${hdr} -MD -MF ${hdr}.d
      DEPENDS ${abs} ${clawc}
      DEPFILE ${hdr}.d
      COMMENT "clawc ${stem}.claw -> ${stem}.claw.h"
      VERBATIM)
    list(APPEND outputs ${fb} ${hdr})
    if(ARG_INSTALL_DESTINATION)
      install(FILES ${fb} DESTINATION ${ARG_INSTALL_DESTINATION})
    endif()
  endforeach()
  add_custom_target(${target}_clawfb DEPENDS ${outputs})
  add_dependencies(${target} ${target}_clawfb)
  target_include_directories(${target} PRIVATE ${outdir})
  # Generated headers are sources of the target so that compiling it waits for them.
  target_sources(${target} PRIVATE ${outputs})
  set_source_files_properties(${outputs} PROPERTIES GENERATED TRUE HEADER_FILE_ONLY TRUE)
endfunction()
