#include "sky/core/text.h"

#include <catch2/catch.hpp>
