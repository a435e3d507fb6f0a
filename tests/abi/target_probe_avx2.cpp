// target_probe.cpp again, compiled for AVX2 (CMakeLists.txt sets the flags).
#include "target_probe.cpp"
