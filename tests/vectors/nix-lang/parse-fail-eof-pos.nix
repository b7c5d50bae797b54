(
# no content
