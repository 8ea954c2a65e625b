#!/usr/bin/env python3
"""fbinfo.py: print the images inside an OpenClaw fat binary (.clawfb).

A fat binary is a sequence of LLVM OffloadBinary version-1 entries
(TOOLCHAIN.md §3), each padded to 8 bytes. This reader walks them with the
layout of llvm/Object/OffloadBinary.h:

  header  magic[4] = 10 FF 10 AD, u32 version, u64 size, u64 entry_offset,
          u64 entry_size                                      (32 bytes)
  entry   u16 image_kind, u16 offload_kind, u32 flags, u64 string_offset,
          u64 num_strings, u64 image_offset, u64 image_size   (40 bytes)
  strings num_strings pairs of u64 (key_offset, value_offset) naming
          NUL-terminated strings; every offset is from the header's start

and prints the kernels (decoded from the `claw.kernels` key, whose line-based
encoding docs/fatbin.md describes: `kernel NAME workgroup=X,Y,Z shared=BYTES
params=N` followed by N lines `param NAME KIND SIZE ALIGN`), then one line
per image: arch, triple, image kind and size, plus any other string-map keys. It is a summary tool for scripts/main-job.sh, not the runtime's
reader (runtime/fatbin.c), so it stops with a message on anything odd.

Usage: fbinfo.py FILE.clawfb
"""

import struct
import sys

MAGIC = b"\x10\xff\x10\xad"
HEADER = struct.Struct("<4sIQQQ")
ENTRY = struct.Struct("<HHIQQQQ")
IMAGE_KINDS = {0: "none", 1: "object", 2: "bitcode", 3: "cubin", 4: "fatbinary", 5: "ptx", 6: "spirv"}


class FormatError(Exception):
    pass


def c_string(data, offset):
    """Reads the NUL-terminated string at offset, refusing an over-read."""
    if offset >= len(data):
        raise FormatError(f"string offset {offset} past the end ({len(data)} bytes)")
    end = data.find(b"\0", offset)
    if end < 0:
        raise FormatError(f"string at offset {offset} has no terminating NUL")
    return data[offset:end].decode("utf-8", "replace")


def parse_one(blob):
    """Returns (size, image dict) for the OffloadBinary at the start of blob."""
    if len(blob) < HEADER.size:
        raise FormatError(f"{len(blob)} trailing bytes are too short for a header")
    magic, version, size, entry_offset, entry_size = HEADER.unpack_from(blob)
    if magic != MAGIC:
        raise FormatError("bad magic (not an OffloadBinary)")
    if version != 1:
        raise FormatError(f"version {version}, expected 1")
    if size < HEADER.size or size > len(blob):
        raise FormatError(f"entry claims {size} bytes, {len(blob)} available")
    data = blob[:size]
    if entry_size < ENTRY.size or entry_offset + ENTRY.size > size:
        raise FormatError("entry record out of bounds")
    kind, _okind, _flags, str_off, nstr, img_off, img_size = ENTRY.unpack_from(data, entry_offset)
    if nstr > size // 16 or str_off + 16 * nstr > size:
        raise FormatError("string table out of bounds")
    if img_off + img_size > size:
        raise FormatError("image out of bounds")
    strings = {}
    for i in range(nstr):
        key_off, val_off = struct.unpack_from("<QQ", data, str_off + 16 * i)
        strings[c_string(data, key_off)] = c_string(data, val_off)
    return size, {"kind": IMAGE_KINDS.get(kind, str(kind)), "size": img_size, "strings": strings}


def parse(blob):
    images = []
    pos = 0
    while pos < len(blob):
        size, image = parse_one(blob[pos:])
        images.append(image)
        pos += (size + 7) & ~7  # entries are padded to 8 bytes (TOOLCHAIN.md §3)
    return images


def describe_kernels(text):
    """One line per kernel of a claw.kernels value; raw text if it is odd."""
    lines = []
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["kernel"] and len(words) >= 2:
            fields = dict(w.split("=", 1) for w in words[2:] if "=" in w)
            wg = fields.get("workgroup", "0,0,0")
            block = "any block" if wg == "0,0,0" else "block " + wg.replace(",", "x")
            lines.append([f"kernel {words[1]}: {block}, {fields.get('shared', '?')} B shared", []])
        elif words[:1] == ["param"] and len(words) >= 3 and lines:
            lines[-1][1].append(words[1])
        else:
            return ["claw.kernels = " + text.replace("\n", " | ")[:100]]
    return [f"{head}, params ({', '.join(params)})" for head, params in lines]


def main(argv):
    if len(argv) != 2:
        print("usage: fbinfo.py FILE.clawfb", file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            blob = f.read()
    except OSError as e:
        print(f"fbinfo.py: {e}", file=sys.stderr)
        return 2
    try:
        images = parse(blob)
    except FormatError as e:
        print(f"fbinfo.py: {argv[1]}: {e}", file=sys.stderr)
        return 1
    shown = None
    for img in images:
        meta = img["strings"].get("claw.kernels")
        if meta is not None and meta != shown:
            for line in describe_kernels(meta):
                print(f"    {line}")
            shown = meta
    for img in images:
        s = dict(img["strings"])
        s.pop("claw.kernels", None)
        triple = s.pop("triple", "?")
        arch = s.pop("arch", "?")
        print(f"    {arch:<10} {triple:<28} {img['kind']:<7} {img['size']:>8} bytes")
        for key in sorted(s):
            value = s[key].replace("\n", " ")
            if len(value) > 70:
                value = value[:67] + "..."
            print(f"        {key} = {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
