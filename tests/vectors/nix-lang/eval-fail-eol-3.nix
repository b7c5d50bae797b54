# foo
invalid
# bar
