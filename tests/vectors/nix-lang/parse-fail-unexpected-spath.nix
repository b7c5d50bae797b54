a.<nixpkgs>
