// Filled in with the base36 functions.
#include "sky/core/base36.h"
