// Filled in with the text functions.
#include "sky/core/text.h"
