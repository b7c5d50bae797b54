/tmp/foo
