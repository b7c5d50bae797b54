{ } ? ./foo
