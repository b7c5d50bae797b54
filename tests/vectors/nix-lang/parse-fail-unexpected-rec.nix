a.rec
