# Test: By default, absolute path literals are allowed
/tmp/foo
