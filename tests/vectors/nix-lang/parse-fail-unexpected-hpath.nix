a.~/foo
