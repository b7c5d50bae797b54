builtins.genericClosure "not an attrset"
