#include "sky/core/base36.h"

#include <catch2/catch.hpp>
