"${./fnord}"
