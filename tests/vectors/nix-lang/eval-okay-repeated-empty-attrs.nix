# Tests that empty attribute sets are not printed as `«repeated»`.
[
  { }
  { }
]
