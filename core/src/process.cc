// Filled in with the process functions.
#include "sky/core/process.h"
