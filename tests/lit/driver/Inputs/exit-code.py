"""Runs a command and checks its exit status: exit-code.py STATUS CMD ARGS...

lit's internal shell has no $?, and `not` accepts any failure; the driver
tests need the exact status of docs/clawc.md (1 input errors, 2 command
line or environment). The command's stdout and stderr pass through."""
import subprocess
import sys

want = int(sys.argv[1])
got = subprocess.call(sys.argv[2:])
if got != want:
    sys.stderr.write("exit-code.py: expected exit status %d, got %d\n" % (want, got))
    sys.exit(1)
