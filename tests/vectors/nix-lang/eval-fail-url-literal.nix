http://example.com
