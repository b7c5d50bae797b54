a.assert
