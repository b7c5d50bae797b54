# nixpilot for Kakoune with kakoune-lsp (version 17 or later, servers configured in kakrc):
# source this file from kakrc after `eval %sh{kak-lsp}` and `lsp-enable`.
hook -group lsp-filetype-nix global BufSetOption filetype=nix %{
    set-option buffer lsp_servers %{
        [nixpilot]
        root_globs = ["flake.nix", ".git"]
        command = "nixpilot"
        args = ["lsp"]
    }
}
