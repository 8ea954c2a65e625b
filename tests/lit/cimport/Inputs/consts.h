#ifndef CONSTS_H
#define CONSTS_H
#define TILE 16
#define NEG (-3)
#define MASK 0xFFFFFFFFu
#define BIG 5000000000
#define HALF 0.5f
#define THIRD 0.3333333333333333
#define NOT_A_LITERAL (TILE * 2)
#define FUNC_LIKE(x) (x)
enum Color { RED, GREEN = 5, BLUE };
enum Small : unsigned char { S0 = 1, S1 = 200 };
static const int LIMIT = 1000;
static const double SCALE = 2.5;
#endif
