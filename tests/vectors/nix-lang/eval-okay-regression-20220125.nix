((__curPosFoo: __curPosFoo) 1) + ((__curPosBar: __curPosBar) 2)
