if "foo" != "f" + "oo" then
  1
else if false then
  2
else
  3
