# Test: Different short path literals should produce warnings
# This tests variation in path patterns
[
  foo/bar
  a/b/c/d
]
