#include "sub/common.h"
#define FROM_B 2
