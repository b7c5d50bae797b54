a.inherit
