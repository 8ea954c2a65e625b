#include <stdint.h>
struct Bits { uint32_t lo : 4; uint32_t hi : 28; };
union Either { int32_t i; float f; };
struct Callback { void (*fn)(int); };
struct Flex { uint32_t n; float data[]; };
typedef float float4 __attribute__((ext_vector_type(4)));
struct Vec { float4 v; };
struct Anon { struct { int x; }; int y; };
struct Fine { uint32_t n; };
