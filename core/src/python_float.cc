#include "sky/core/python_float.h"
