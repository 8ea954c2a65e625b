#ifndef COMMON_H
#define COMMON_H
struct Shared3 { int k; };
#define COMMON_VALUE 7
#endif
