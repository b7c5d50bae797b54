{ inherit http://x; }
