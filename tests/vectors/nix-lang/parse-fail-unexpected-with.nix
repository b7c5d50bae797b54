a.with
