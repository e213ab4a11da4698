#include "sky/core/file_hash.h"

#include <catch2/catch.hpp>
