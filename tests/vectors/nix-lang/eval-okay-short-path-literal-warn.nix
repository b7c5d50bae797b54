test/subdir
