#include "launcher.h"

int main(int argc, char** argv) { return sky_native::launcher::run_main(argc, argv); }
