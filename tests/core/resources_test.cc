#include "sky/core/resources.h"

#include <catch2/catch.hpp>
