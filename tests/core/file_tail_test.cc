#include "sky/core/file_tail.h"

#include <catch2/catch.hpp>
