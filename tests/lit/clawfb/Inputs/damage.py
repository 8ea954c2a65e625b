"""Makes a damaged copy of a fat binary for clawfb verify's tests.

  damage.py truncate IN OUT N          the first N bytes of IN
  damage.py image IN OUT INDEX AT HEX  overwrite bytes of image INDEX's data,
                                       AT bytes from its start (from its end
                                       when AT is negative), with HEX
  damage.py header IN OUT AT HEX       overwrite bytes at file offset AT

Images are found with the OffloadBinary layout of docs/fatbin.md (entry
size at +8, image offset at +56 and size at +64, from the entry's first
byte)."""
import struct
import sys

mode, src, dst = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
if mode == "truncate":
    data = data[: int(sys.argv[4])]
elif mode == "image":
    index, at, patch = int(sys.argv[4]), int(sys.argv[5]), bytes.fromhex(sys.argv[6])
    entry = 0
    for _ in range(index):
        entry += struct.unpack_from("<Q", data, entry + 8)[0]
    offset, size = struct.unpack_from("<QQ", data, entry + 56)
    start = entry + offset + (at if at >= 0 else size + at)
    data[start : start + len(patch)] = patch
elif mode == "header":
    at, patch = int(sys.argv[4]), bytes.fromhex(sys.argv[5])
    data[at : at + len(patch)] = patch
else:
    sys.exit("damage.py: unknown mode " + mode)
open(dst, "wb").write(data)
