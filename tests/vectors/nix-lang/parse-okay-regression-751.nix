let const = a: "const"; in
''${ const { x = "q"; }}''
