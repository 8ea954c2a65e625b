"""Prints a .clawir kernel with N nested `if` regions (tests/lit/ir-read)."""
import sys

n = int(sys.argv[1])
print('; claw-ir module "nest.claw"')
print("kernel @k(%0 c: bool) {")
for i in range(n):
    print("  " * (i + 1) + "if %0 {")
for i in reversed(range(n)):
    print("  " * (i + 1) + "} else {")
    print("  " * (i + 1) + "}")
print("}")
