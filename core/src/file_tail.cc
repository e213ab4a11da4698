// Filled in with the file_tail functions.
#include "sky/core/file_tail.h"
