|| true
