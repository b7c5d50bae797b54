builtins.unsafeGetAttrPos "abort" builtins
