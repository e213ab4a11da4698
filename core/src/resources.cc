// Filled in with the resources functions.
#include "sky/core/resources.h"
