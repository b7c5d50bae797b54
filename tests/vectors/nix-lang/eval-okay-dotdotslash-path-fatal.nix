# Test: ../ paths are not affected by lint-short-path-literals=fatal
../test/subdir
