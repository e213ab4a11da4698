// Filled in with the file_hash functions.
#include "sky/core/file_hash.h"
