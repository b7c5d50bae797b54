a.in
