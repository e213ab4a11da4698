// Filled in with the parallelism functions.
#include "sky/core/parallelism.h"
