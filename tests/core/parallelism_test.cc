#include "sky/core/parallelism.h"

#include <catch2/catch.hpp>
