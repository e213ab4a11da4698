#include "sky/core/ports.h"

#include <catch2/catch.hpp>
