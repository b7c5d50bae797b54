# Test: Quoted URLs are always accepted even with fatal setting
"http://example.com"
