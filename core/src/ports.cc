// Filled in with the ports functions.
#include "sky/core/ports.h"
