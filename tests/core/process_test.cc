#include "sky/core/process.h"

#include <catch2/catch.hpp>
