#include "sky/core/python_float.h"

#include <catch2/catch.hpp>
