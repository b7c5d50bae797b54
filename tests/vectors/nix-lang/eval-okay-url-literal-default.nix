# Test: By default (no flags), unquoted URL literals are accepted
http://example.com
