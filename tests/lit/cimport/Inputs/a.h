#include "sub/common.h"
#define FROM_A 1
